using Carapace.Kms.Client;

namespace Carapace.Kms.Client.Tests;

/// <summary>The in-process warm-up of an enclave's KMS client: the handshake, evidence check and sealed release it runs complete.</summary>
public sealed class KmsClientWarmUpTests
{
    [Fact]
    public async Task The_warm_up_completes_a_verified_handshake_and_opens_its_release_without_a_socket()
    {
        var socketsBefore = ProcFs.SocketInodes(Environment.ProcessId);

        // RunAsync throws when the client's evidence check refuses the stand-in, a certificate is missing, or the
        // sealed release does not open to the key and secret it carries.
        await KmsClientWarmUp.RunAsync();
        await KmsClientWarmUp.RunAsync();

        Assert.Subset(socketsBefore, ProcFs.SocketInodes(Environment.ProcessId));
    }
}
