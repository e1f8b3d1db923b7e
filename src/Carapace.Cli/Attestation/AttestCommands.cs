using System.CommandLine;

namespace Carapace.Cli.Attestation;

/// <summary><c>carapace attest …</c>: commands that check attestation evidence.</summary>
internal static class AttestCommands
{
    public static Command Build()
    {
        var attest = new Command("attest", "Check attestation evidence: Intel SGX/TDX quotes, AMD SEV-SNP reports, AWS Nitro documents, RA-TLS certificates.");
        attest.Add(VerifyCommand.Build());
        return attest;
    }
}
