using System.Diagnostics;

namespace Carapace.Enclave.Tests.Host;

/// <summary>
/// The enclave never reads the host's CA store. A real native enclave is started with <c>SSL_CERT_FILE</c> and
/// <c>SSL_CERT_DIR</c> naming a copy of a certificate bundle whose access time is set far in the past; once the enclave
/// is ready (its KMS client warm-up has presented RA-TLS certificates on both ends of a TLS handshake, which is when
/// .NET first builds a chain with the system's trust), the access time must be unchanged. The file system records
/// reads (relatime: a read after the last change updates the access time), which the test checks first.
/// </summary>
public sealed class HostTrustStoreTests : IDisposable
{
    private static readonly DateTime LongAgo = new(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "carapace-trust-store-" + Guid.NewGuid().ToString("N"));

    public HostTrustStoreTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task An_enclave_becomes_ready_without_reading_the_hosts_certificate_store()
    {
        var store = Directory.CreateDirectory(Path.Combine(_dir, "certs")).FullName;
        var bundle = Path.Combine(store, "ca-certificates.crt");
        var hashed = Path.Combine(store, "0123abcd.0");
        var certificate = SelfSignedPem();
        File.WriteAllText(bundle, certificate);
        File.WriteAllText(hashed, certificate);

        // The probe: a read of a file last accessed long ago must show.
        var probe = Path.Combine(store, "probe.pem");
        File.WriteAllText(probe, certificate);
        File.SetLastAccessTimeUtc(probe, LongAgo);
        _ = File.ReadAllBytes(probe);
        Assert.True(File.GetLastAccessTimeUtc(probe) > LongAgo, $"{store} does not record reads in access times (noatime?); the test cannot observe the enclave");

        File.SetLastAccessTimeUtc(bundle, LongAgo);
        File.SetLastAccessTimeUtc(hashed, LongAgo);
        var start = new ProcessStartInfo(RepoPaths.NativeEnclave)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("--platform-key");
        start.ArgumentList.Add(Path.Combine(_dir, "sim", "platform.key"));
        start.Environment["CARAPACE_HOME"] = _dir;
        start.Environment["SSL_CERT_FILE"] = bundle;
        start.Environment["SSL_CERT_DIR"] = store;
        using var enclave = Process.Start(start)!;
        enclave.ErrorDataReceived += (_, _) => { };
        enclave.BeginErrorReadLine();
        try
        {
            var first = new byte[1];
            using var ready = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            Assert.Equal(1, await enclave.StandardOutput.BaseStream.ReadAsync(first, ready.Token));
        }
        finally
        {
            enclave.StandardInput.Close();
            using var ends = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await enclave.WaitForExitAsync(ends.Token);
            }
            catch (OperationCanceledException)
            {
                enclave.Kill();
            }
        }

        Assert.Equal(LongAgo, File.GetLastAccessTimeUtc(bundle));
        Assert.Equal(LongAgo, File.GetLastAccessTimeUtc(hashed));
    }

    private static string SelfSignedPem()
    {
        using var key = System.Security.Cryptography.ECDsa.Create();
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=host store stand-in", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return certificate.ExportCertificatePem();
    }
}
