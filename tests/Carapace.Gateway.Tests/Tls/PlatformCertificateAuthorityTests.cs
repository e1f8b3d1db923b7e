using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Carapace.Gateway.Auth;
using Carapace.Gateway.Tls;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Carapace.Gateway.Tests.Tls;

public sealed class PlatformCertificateAuthorityTests : IDisposable
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "carapace-tls-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public void First_start_creates_a_P256_CA_with_owner_only_files()
    {
        using var ca = PlatformCertificateAuthority.LoadOrCreate(_dataDir);

        Assert.True(ca.Created);
        Assert.Equal(PlatformCertificateAuthority.Subject, ca.Certificate.Subject);
        Assert.Equal(ca.Certificate.Subject, ca.Certificate.Issuer);
        var constraints = ca.Certificate.Extensions.OfType<X509BasicConstraintsExtension>().Single();
        Assert.True(constraints.CertificateAuthority);
        Assert.True(constraints.Critical);
        Assert.True(ca.Certificate.Extensions.OfType<X509KeyUsageExtension>().Single().KeyUsages.HasFlag(X509KeyUsageFlags.KeyCertSign));
        Assert.Equal("1.2.840.10045.3.1.7", ca.Certificate.GetECDsaPublicKey()!.ExportParameters(false).Curve.Oid.Value);
        Assert.InRange(ca.Certificate.NotAfter - ca.Certificate.NotBefore, TimeSpan.FromDays(3650), TimeSpan.FromDays(3654));
        Assert.False(ca.Certificate.HasPrivateKey);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(ca.Directory));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(PlatformCertificateAuthority.KeyPathIn(_dataDir)));
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", File.ReadAllText(PlatformCertificateAuthority.KeyPathIn(_dataDir)));
        Assert.StartsWith("-----BEGIN CERTIFICATE-----", File.ReadAllText(PlatformCertificateAuthority.CertificatePathIn(_dataDir)));
    }

    [Fact]
    public void Fingerprint_is_lower_case_hex_SHA256_of_the_CA_DER()
    {
        using var ca = PlatformCertificateAuthority.LoadOrCreate(_dataDir);
        var der = X509Certificate2.CreateFromPem(File.ReadAllText(PlatformCertificateAuthority.CertificatePathIn(_dataDir))).RawData;

        Assert.Matches("^[0-9a-f]{64}$", ca.Fingerprint);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(der)), ca.Fingerprint);
    }

    [Fact]
    public void Later_starts_reuse_the_CA_and_its_fingerprint()
    {
        string first;
        using (var ca = PlatformCertificateAuthority.LoadOrCreate(_dataDir))
        {
            first = ca.Fingerprint;
        }

        using var again = PlatformCertificateAuthority.LoadOrCreate(_dataDir);
        Assert.False(again.Created);
        Assert.Equal(first, again.Fingerprint);
        using var server = again.IssueServerCertificate();
        Assert.True(Validate(server, again.Certificate, DateTime.UtcNow));
    }

    [Fact]
    public void Server_certificate_chains_to_the_CA_with_custom_trust_and_names_the_loopback_hosts()
    {
        using var ca = PlatformCertificateAuthority.LoadOrCreate(_dataDir);
        using var server = ca.IssueServerCertificate(["gateway.example", "10.1.2.3"]);

        Assert.True(server.HasPrivateKey);
        Assert.NotNull(server.GetECDsaPrivateKey());
        Assert.True(Validate(server, ca.Certificate, DateTime.UtcNow));
        var eku = server.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single();
        Assert.Equal(["1.3.6.1.5.5.7.3.1"], eku.EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value));
        Assert.False(server.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
        var san = server.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Equal(["gateway.example", "localhost"], san.EnumerateDnsNames().Order());
        Assert.Equal(["10.1.2.3", "127.0.0.1", "::1"], san.EnumerateIPAddresses().Select(a => a.ToString()).Order());
        Assert.True(server.MatchesHostname("localhost"));
        Assert.True(server.MatchesHostname("127.0.0.1"));
    }

    [Fact]
    public void Each_start_issues_a_new_server_certificate_with_a_new_key()
    {
        using var ca = PlatformCertificateAuthority.LoadOrCreate(_dataDir);
        using var one = ca.IssueServerCertificate();
        using var two = ca.IssueServerCertificate();

        Assert.NotEqual(one.SerialNumber, two.SerialNumber);
        Assert.NotEqual(one.PublicKey.EncodedKeyValue.RawData, two.PublicKey.EncodedKeyValue.RawData);
    }

    [Fact]
    public void A_server_certificate_of_another_CA_does_not_validate()
    {
        using var ca = PlatformCertificateAuthority.LoadOrCreate(_dataDir);
        using var other = PlatformCertificateAuthority.LoadOrCreate(Path.Combine(_dataDir, "other"));
        using var server = other.IssueServerCertificate();

        Assert.False(Validate(server, ca.Certificate, DateTime.UtcNow));
    }

    [Fact]
    public void Server_certificates_follow_the_injected_clock()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2031, 3, 1, 0, 0, 0, TimeSpan.Zero));
        using var ca = PlatformCertificateAuthority.LoadOrCreate(_dataDir, time);
        using var server = ca.IssueServerCertificate();

        Assert.Equal(2031, server.NotBefore.ToUniversalTime().Year);
        Assert.True(Validate(server, ca.Certificate, time.GetUtcNow().UtcDateTime));
        Assert.False(Validate(server, ca.Certificate, time.GetUtcNow().UtcDateTime + PlatformCertificateAuthority.ServerValidity + TimeSpan.FromDays(1)));
    }

    [Fact]
    public void A_key_readable_by_others_is_refused_with_the_chmod_to_run()
    {
        PlatformCertificateAuthority.LoadOrCreate(_dataDir).Dispose();
        var keyPath = PlatformCertificateAuthority.KeyPathIn(_dataDir);
        File.SetUnixFileMode(keyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);

        var error = Assert.Throws<PlatformCertificateException>(() => PlatformCertificateAuthority.LoadOrCreate(_dataDir));
        Assert.Contains("accessible by other users", error.Message);
        Assert.Contains("chmod 600", error.Message);
    }

    [Fact]
    public void A_damaged_key_is_refused_and_not_replaced()
    {
        PlatformCertificateAuthority.LoadOrCreate(_dataDir).Dispose();
        var keyPath = PlatformCertificateAuthority.KeyPathIn(_dataDir);
        File.WriteAllText(keyPath, "-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n");
        var damaged = File.ReadAllBytes(keyPath);

        var error = Assert.Throws<PlatformCertificateException>(() => PlatformCertificateAuthority.LoadOrCreate(_dataDir));
        Assert.Contains($"{keyPath} is damaged", error.Message);
        Assert.DoesNotContain("not base64", error.Message);
        Assert.Equal(damaged, File.ReadAllBytes(keyPath));
    }

    [Fact]
    public void A_damaged_certificate_is_refused()
    {
        PlatformCertificateAuthority.LoadOrCreate(_dataDir).Dispose();
        var path = PlatformCertificateAuthority.CertificatePathIn(_dataDir);
        File.WriteAllText(path, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");

        var error = Assert.Throws<PlatformCertificateException>(() => PlatformCertificateAuthority.LoadOrCreate(_dataDir));
        Assert.Contains($"{path} is damaged", error.Message);
    }

    [Fact]
    public void A_key_of_another_CA_is_refused()
    {
        PlatformCertificateAuthority.LoadOrCreate(_dataDir).Dispose();
        var otherDir = Path.Combine(_dataDir, "other");
        PlatformCertificateAuthority.LoadOrCreate(otherDir).Dispose();
        File.Copy(PlatformCertificateAuthority.KeyPathIn(otherDir), PlatformCertificateAuthority.KeyPathIn(_dataDir), overwrite: true);

        var error = Assert.Throws<PlatformCertificateException>(() => PlatformCertificateAuthority.LoadOrCreate(_dataDir));
        Assert.Contains("ca.key is not the key of ca.crt", error.Message);
    }

    [Fact]
    public void A_missing_half_is_reported_instead_of_making_a_new_CA()
    {
        PlatformCertificateAuthority.LoadOrCreate(_dataDir).Dispose();
        File.Delete(PlatformCertificateAuthority.CertificatePathIn(_dataDir));

        var error = Assert.Throws<PlatformCertificateException>(() => PlatformCertificateAuthority.LoadOrCreate(_dataDir));
        Assert.Contains("incomplete", error.Message);
        Assert.False(File.Exists(PlatformCertificateAuthority.CertificatePathIn(_dataDir)));
    }

    [Fact]
    public void An_expired_CA_is_refused_with_what_to_do()
    {
        PlatformCertificateAuthority.LoadOrCreate(_dataDir).Dispose();
        var later = new FakeTimeProvider(DateTimeOffset.UtcNow + PlatformCertificateAuthority.CaValidity + TimeSpan.FromDays(2));

        var error = Assert.Throws<PlatformCertificateException>(() => PlatformCertificateAuthority.LoadOrCreate(_dataDir, later));
        Assert.Contains("delete tls/ca.crt and tls/ca.key", error.Message);
    }

    [Fact]
    public void Names_that_are_not_hosts_are_rejected()
    {
        using var ca = PlatformCertificateAuthority.LoadOrCreate(_dataDir);
        Assert.Throws<ArgumentException>(() => ca.IssueServerCertificate(["not a host/name"]));
    }

    [Fact]
    public async Task Kestrel_serves_the_issued_certificate_and_a_CA_pinned_client_accepts_it()
    {
        using var ca = PlatformCertificateAuthority.LoadOrCreate(_dataDir);
        using var certificate = ca.IssueServerCertificate();
        using var credentials = new NamespaceCredentials(NamespaceCredentials.PathIn(_dataDir));
        await using (var host = await GatewayHost.StartAsync(new GatewayOptions { DataDirectory = _dataDir, Certificate = certificate, Credentials = credentials }))
        {
            X509Certificate2? seen = null;
            using var handler = new SocketsHttpHandler
            {
                SslOptions = new SslClientAuthenticationOptions
                {
                    RemoteCertificateValidationCallback = (_, presented, _, errors) =>
                    {
                        seen = X509CertificateLoader.LoadCertificate(presented!.GetRawCertData());
                        return (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) == 0 && Validate(seen, ca.Certificate, DateTime.UtcNow);
                    },
                },
            };
            using var client = new HttpClient(handler) { BaseAddress = new Uri($"https://localhost:{host.Endpoint.Port}/") };
            using var response = await client.GetAsync("api/v1/namespaces");

            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal(certificate.RawData, seen!.RawData);
        }

        SqliteConnection.ClearAllPools();
    }

    private static bool Validate(X509Certificate2 server, X509Certificate2 ca, DateTime at)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = at;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.1"));
        return chain.Build(server);
    }
}
