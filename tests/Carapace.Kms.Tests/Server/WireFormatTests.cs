using System.Security.Cryptography;
using System.Text;
using Carapace.Attestation;
using Carapace.Kms.Client.Api;
using Carapace.Kms.Server;
using Carapace.Kms.Tests.Support;
using Carapace.Attestation.Tee;

namespace Carapace.Kms.Tests.Server;

/// <summary>The sealed-release format, the request-signing string and the server options.</summary>
public sealed class WireFormatTests : IDisposable
{
    private readonly KmsFixture _kms = new();

    public WireFormatTests()
    {
        _kms.Service.SetPolicy(_kms.Owners.Sign(_kms.Owners.Build(), "alice"));
        _kms.Service.PutSecret("acme", "db-password", "hunter2"u8);
    }

    public void Dispose() => _kms.Dispose();

    [Fact]
    public void An_entitlement_survives_encoding_and_every_truncation_is_refused()
    {
        using var original = _kms.Service.Releases.Decide("acme", "f", Attest.Sgx(Convert.FromHexString(Policies.SgxHash)));
        var encoded = EntitlementCodec.Encode(original);

        using (var decoded = EntitlementCodec.Decode(encoded))
        {
            Assert.Equal(original.ToString(), decoded.ToString());
            Assert.Equal(original.Steps, decoded.Steps);
            Assert.Equal(original.PolicyVersion, decoded.PolicyVersion);
            Assert.Equal(EvidenceKind.Sgx, decoded.EvidenceKind);
            Assert.Equal(original.Measurement, decoded.Measurement);
            Assert.Equal("hunter2"u8.ToArray(), decoded.Secret("db-password")!.Value.ToArray());
            Assert.Equal(original.EdgeKeys.Select(k => k.Id), decoded.EdgeKeys.Select(k => k.Id));
        }

        Assert.Equal("CKE1"u8.ToArray(), encoded[..4]);
        for (var length = 0; length < encoded.Length; length++)
        {
            Assert.Throws<InvalidDataException>(() => EntitlementCodec.Decode(encoded.AsSpan(0, length)));
        }

        Assert.Throws<InvalidDataException>(() => EntitlementCodec.Decode([.. encoded, 0]));
    }

    [Fact]
    public void A_sealed_release_binds_the_namespace_and_function_and_fails_on_any_flipped_byte()
    {
        using var enclave = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var plaintext = Encoding.UTF8.GetBytes("release");

        var sealedRelease = ReleaseSealing.Seal(enclave.ExportSubjectPublicKeyInfo(), "acme", "f", plaintext);

        Assert.Equal(plaintext, ReleaseSealing.Open(enclave, "acme", "f", sealedRelease));
        Assert.ThrowsAny<CryptographicException>(() => ReleaseSealing.Open(enclave, "acm", "ef", sealedRelease));
        var ciphertext = Convert.FromBase64String(sealedRelease.Ciphertext!);
        for (var i = 0; i < ciphertext.Length; i++)
        {
            var tampered = (byte[])ciphertext.Clone();
            tampered[i] ^= 1;
            Assert.ThrowsAny<CryptographicException>(() => ReleaseSealing.Open(enclave, "acme", "f", sealedRelease with { Ciphertext = Convert.ToBase64String(tampered) }));
        }
    }

    [Fact]
    public void The_owner_request_signing_string_is_fixed()
    {
        var bytes = OwnerRequestSignature.CanonicalBytes("put", "/v1/secrets/acme/db-password", 1_750_000_000, "abc"u8);

        Assert.Equal(
            "carapace-kms-request-v1\nPUT\n/v1/secrets/acme/db-password\n1750000000\nba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            Encoding.UTF8.GetString(bytes));
    }

    [Fact]
    public async Task Bad_server_options_are_reported_all_at_once()
    {
        var options = new KmsServerOptions { DataDirectory = "", Port = 70000, Tee = null!, CertificateValidity = TimeSpan.Zero };

        var error = await Assert.ThrowsAsync<ArgumentException>(() => KmsServer.StartAsync(options));

        Assert.Equal(4, options.Validate().Count);
        Assert.Contains("DataDirectory", error.Message, StringComparison.Ordinal);
        Assert.Contains("Port", error.Message, StringComparison.Ordinal);
        Assert.Contains("Tee is required", error.Message, StringComparison.Ordinal);
        Assert.Contains("CertificateValidity", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_port_in_use_is_an_IOException()
    {
        await using var first = await ServerFixture.StartAsync();
        using var dir = new TempDir();

        var error = await Assert.ThrowsAsync<IOException>(() => KmsServer.StartAsync(new KmsServerOptions
        {
            DataDirectory = dir.Path,
            Tee = TeeBackend.Simulation(System.IO.Path.Combine(dir.Path, "sim")),
            Port = first.Server.Endpoint.Port,
        }));

        Assert.Contains($"cannot listen on 127.0.0.1:{first.Server.Endpoint.Port}", error.Message, StringComparison.Ordinal);
    }
}
