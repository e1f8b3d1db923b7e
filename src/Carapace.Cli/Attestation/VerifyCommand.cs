using System.CommandLine;
using Carapace.Attestation;
using Carapace.Cli.Infrastructure;

namespace Carapace.Cli.Attestation;

/// <summary>
/// <c>carapace attest verify</c>: verifies one piece of evidence offline and prints its claims. Exit 0 only when it
/// verified; a rejection is <c>carapace: rejected (Reason): message</c> on stderr and exit 1.
/// </summary>
internal static class VerifyCommand
{
    /// <summary>Evidence larger than this is refused before it is read: no format comes near it.</summary>
    public const long MaxEvidenceBytes = 16 << 20;

    public static Command Build()
    {
        var file = new Argument<string>("FILE")
        {
            Description = "The evidence: an SGX/TDX quote, an SEV-SNP report (binary or hex text), a Nitro attestation document, " +
                "an RA-TLS certificate (PEM or DER) or Carapace simulation evidence. '-' reads standard input.",
        };
        var kind = VerifyOptionParsers.Kind();
        var collateral = new Option<string?>("--collateral")
        {
            Description = "sgx, tdx, ratls: DCAP collateral, either a JSON file (dcap-qvl QuoteCollateralV3 schema) or a folder of raw " +
                "Intel PCS responses: tcb_info.json, qe_identity.json, pck_crl.der|.pem, root_ca_crl.der|.pem, and the issuer chains " +
                "tcb_info_issuer_chain.pem, qe_identity_issuer_chain.pem, pck_crl_issuer_chain.pem, which PCS returns as the HTTP " +
                "response headers TCB-Info-Issuer-Chain, SGX-Enclave-Identity-Issuer-Chain and SGX-PCK-CRL-Issuer-Chain (save them " +
                "PEM or URL-encoded). Without it the TCB status is Unknown. " +
                "snp: the VCEK certificate (DER or PEM); a PEM bundle may also hold the ASK and ARK. Required for snp.",
            HelpName = "PATH",
        };
        var at = VerifyOptionParsers.At();
        var root = new Option<string?>("--root")
        {
            Description = "Trust only the certificates in FILE (PEM, any number, or one DER) as roots, for every vendor, instead of " +
                "the built-in pinned Intel, AMD and AWS roots.",
            HelpName = "FILE",
        };
        var expect = VerifyOptionParsers.ExpectReportData();
        var json = new Option<bool>("--json")
        {
            Description = "Print the result as JSON on stdout (also when the evidence is rejected: verified false, failure reason and message).",
        };
        var command = new Command(
            "verify",
            "Verify attestation evidence offline against pinned vendor roots and print its claims (measurements, report data, " +
            "TCB status). Exit code 0 only when every check passed; 1 when the evidence is rejected. Simulation evidence is " +
            "accepted only when signed by this user's simulation quoting key ($CARAPACE_HOME/sim/quoting.key) and is always " +
            "flagged as insecure.")
        {
            file, kind, collateral, at, root, expect, json,
        };
        Examples.Set(command,
            "carapace attest verify quote.bin",
            "carapace attest verify quote.bin --collateral collateral.json --at 2025-07-01T00:00:00Z --json",
            "carapace attest verify td-quote.bin --collateral pcs-responses/",
            "carapace attest verify report.hex --kind snp --collateral vcek.pem",
            "carapace attest verify nitro.cbor --at 2022-10-13T09:30:00Z --expect-report-data \"$(cat user-data.hex)\"",
            "carapace attest verify server-cert.pem --kind ratls --root my-test-root.pem");
        command.SetHandler(async (parse, cancel) =>
        {
            var path = parse.GetRequiredValue(file);
            var evidence = await ReadEvidenceAsync(path, cancel).ConfigureAwait(false);
            var request = new VerifyRequest
            {
                Evidence = evidence,
                Kind = VerifyOptionParsers.KindOf(parse.GetRequiredValue(kind)),
                CollateralPath = parse.GetValue(collateral),
                At = parse.GetValue(at),
                RootPath = parse.GetValue(root),
                ExpectedReportData = parse.GetValue(expect),
            };
            var result = request.Verify(EvidenceVerifiers.CreateDefault());
            return Report(result, parse.GetValue(json));
        });
        return command;
    }

    /// <summary>Prints the result (banner and rejection on stderr, claims or JSON on stdout) and returns the exit code.</summary>
    private static int Report(AttestationResult result, bool json)
    {
        if (result.Kind == EvidenceKind.Simulation || result.Insecure)
        {
            Console.Error.WriteLine(LocalSimulationKey.Banner);
        }

        if (json)
        {
            Console.Out.WriteLine(AttestationJson.Serialize(result));
        }
        else if (result.Verified)
        {
            Console.Out.Write(ResultText.Format(result));
        }

        if (result.Failure is { } failure)
        {
            Console.Error.WriteLine($"carapace: rejected ({failure.Reason}): {failure.Message}");
            return ExitCodes.Rejected;
        }

        if (result.Debug)
        {
            Console.Error.WriteLine("carapace: note: the evidence comes from a debug enclave, TD or guest: its memory is not protected; never release secrets to it");
        }

        return ExitCodes.Ok;
    }

    private static async Task<byte[]> ReadEvidenceAsync(string path, CancellationToken cancel)
    {
        if (path != "-")
        {
            if (Directory.Exists(path))
            {
                throw new CliFailure($"evidence {path} is a directory, not a file", ExitCodes.IoError);
            }

            if (!File.Exists(path))
            {
                throw new CliFailure($"evidence {path} does not exist", ExitCodes.IoError);
            }

            if (new FileInfo(path) is { Length: > MaxEvidenceBytes } big)
            {
                throw new CliFailure($"evidence {path} is {big.Length} bytes; attestation evidence is never more than {MaxEvidenceBytes >> 20} MiB");
            }
        }

        await using var input = CliIo.OpenInput(path);
        using var buffer = new MemoryStream();
        var chunk = new byte[1 << 16];
        int read;
        while ((read = await input.ReadAsync(chunk, cancel).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > MaxEvidenceBytes)
            {
                throw new CliFailure($"the evidence on standard input is more than {MaxEvidenceBytes >> 20} MiB; attestation evidence is never that large");
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
