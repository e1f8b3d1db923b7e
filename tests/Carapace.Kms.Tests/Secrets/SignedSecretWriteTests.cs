using System.Security.Cryptography;
using System.Text;
using Carapace.Kms.Policy;
using Carapace.Kms.Secrets;

namespace Carapace.Kms.Tests.Secrets;

/// <summary>The secret write document: what owners sign, and strict parsing that reports every problem.</summary>
public sealed class SignedSecretWriteTests : IDisposable
{
    private static readonly DateTimeOffset Expires = new(2030, 1, 31, 12, 0, 0, TimeSpan.Zero);
    private readonly ECDiffieHellman _kms = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
    private readonly OwnerKey _alice = OwnerKey.Generate();

    public void Dispose()
    {
        _kms.Dispose();
        _alice.Dispose();
    }

    [Fact]
    public void Owners_sign_exactly_these_lines()
    {
        var put = new SecretWrite
        {
            Namespace = "team/blue",
            Secret = "db-password",
            Operation = SecretOperation.Put,
            Version = 3,
            SealedValueSha256 = new string('a', 64),
            Expires = Expires,
        };
        var delete = put with { Operation = SecretOperation.Delete, SealedValueSha256 = null };

        Assert.Equal("carapace-kms-secret-write-v1\nnamespace=team/blue\nsecret=db-password\noperation=put\nversion=3\n"
            + $"sealed-value-sha256={new string('a', 64)}\nexpires=2030-01-31T12:00:00Z\n", Encoding.UTF8.GetString(put.SignedBytes()));
        Assert.Equal("carapace-kms-secret-write-v1\nnamespace=team/blue\nsecret=db-password\noperation=delete\nversion=3\n"
            + "sealed-value-sha256=-\nexpires=2030-01-31T12:00:00Z\n", Encoding.UTF8.GetString(delete.SignedBytes()));
    }

    [Fact]
    public void A_document_round_trips_and_its_sealed_value_opens_only_for_its_write()
    {
        var document = SecretWriteSigner.AddSignature(Propose("s3cr3t"), "alice", _alice);

        var parsed = SignedSecretWrite.Parse(document.ToJson());

        Assert.Equal(document.Write, parsed.Write);
        Assert.Equal(document.Signatures, parsed.Signatures);
        Assert.Equal(document.SealedValue!.Sha256(), parsed.SealedValue!.Sha256());
        Assert.Equal("s3cr3t", Encoding.UTF8.GetString(parsed.SealedValue.Open(_kms, "acme", "db-password", 1)));
        Assert.Throws<AuthenticationTagMismatchException>(() => parsed.SealedValue.Open(_kms, "acme", "db-password", 2));
        Assert.Throws<AuthenticationTagMismatchException>(() => parsed.SealedValue.Open(_kms, "acme", "api-token", 1));
        Assert.DoesNotContain("s3cr3t", Encoding.UTF8.GetString(document.ToJson()), StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t", document.Write.ToString() + document.SealedValue, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_proposals_of_the_same_value_have_different_hashes()
    {
        Assert.NotEqual(Propose("1234").Write.SealedValueSha256, Propose("1234").Write.SealedValueSha256);
    }

    [Fact]
    public void Every_problem_of_a_malformed_document_is_reported_at_once()
    {
        var json = """
            {"write": {"namespace": "acme", "secret": "bad name", "operation": "replace", "version": 0, "expires": "tomorrow", "extra": 1},
             "signatures": [{"owner": "alice"}]}
            """;

        var e = Assert.Throws<SecretWriteException>(() => SignedSecretWrite.Parse(Encoding.UTF8.GetBytes(json)));

        Assert.Equal(SecretWriteRejection.Malformed, e.Reason);
        Assert.Contains("$.write: unknown field 'extra' (allowed: namespace, secret, operation, version, sealedValueSha256, expires)", e.Errors);
        Assert.Contains("$.write.operation: must be \"put\" or \"delete\"", e.Errors);
        Assert.Contains("$.write.expires: must be a UTC time as yyyy-MM-ddTHH:mm:ssZ, e.g. 2030-01-31T12:00:00Z", e.Errors);
        Assert.Contains("$.signatures[0].signature: required field is missing", e.Errors);
    }

    [Fact]
    public void A_put_needs_its_sealed_value_and_a_delete_carries_none()
    {
        var put = Propose("x");
        var delete = SecretWriteSigner.Propose("acme", "db-password", 1, [], null, Expires);

        var noValue = Assert.Throws<SecretWriteException>(() => SignedSecretWrite.Parse((put with { SealedValue = null }).ToJson()));
        var withValue = Assert.Throws<SecretWriteException>(() => SignedSecretWrite.Parse((delete with { SealedValue = put.SealedValue }).ToJson()));
        var badNames = Assert.Throws<SecretWriteException>(() => SignedSecretWrite.Parse((put with { Write = put.Write with { Secret = "a b" } }).ToJson()));

        Assert.Contains("$.sealedValue: a put carries its value sealed to the KMS", noValue.Errors);
        Assert.Contains("$.sealedValue: a delete carries no value", withValue.Errors);
        Assert.Contains(badNames.Errors, m => m.StartsWith("$.write.secret: must be 1 to 128", StringComparison.Ordinal));
        Assert.Equal(SecretOperation.Delete, SignedSecretWrite.Parse(delete.ToJson()).Write.Operation);
    }

    [Fact]
    public void Oversized_documents_bad_json_and_too_many_signatures_are_malformed()
    {
        var tooMany = Propose("x") with { Signatures = [.. Enumerable.Range(0, PolicyLimits.MaxOwners + 1).Select(i => new PolicySignature($"o{i}", "AA=="))] };

        var big = Assert.Throws<SecretWriteException>(() => SignedSecretWrite.Parse(new byte[SignedSecretWrite.MaxBytes + 1]));
        var json = Assert.Throws<SecretWriteException>(() => SignedSecretWrite.Parse("{\"write\":"u8));
        var signatures = Assert.Throws<SecretWriteException>(() => SignedSecretWrite.Parse(tooMany.ToJson()));

        Assert.Contains($"larger than {SignedSecretWrite.MaxBytes} bytes", big.Message, StringComparison.Ordinal);
        Assert.Contains("not valid JSON", json.Message, StringComparison.Ordinal);
        Assert.Contains("$.signatures: 33 signatures; a write carries at most one per owner (32)", signatures.Errors);
    }

    [Fact]
    public void Proposals_refuse_empty_or_oversized_values_and_bad_names()
    {
        var key = _kms.ExportSubjectPublicKeyInfo();

        Assert.Throws<ArgumentException>(() => SecretWriteSigner.Propose("acme", "db-password", 1, key, Array.Empty<byte>(), Expires));
        Assert.Throws<ArgumentException>(() => SecretWriteSigner.Propose("acme", "db-password", 1, key, new byte[SecretWrite.MaxValueBytes + 1], Expires));
        Assert.Throws<ArgumentException>(() => SecretWriteSigner.Propose("acme", "bad name", 1, key, "x"u8.ToArray(), Expires));
        Assert.Throws<ArgumentOutOfRangeException>(() => SecretWriteSigner.Propose("acme", "db-password", 0, key, "x"u8.ToArray(), Expires));
        Assert.Throws<CryptographicException>(() => SecretWriteSigner.Propose("acme", "db-password", 1, "not a key"u8, "x"u8.ToArray(), Expires));
    }

    private SignedSecretWrite Propose(string value) =>
        SecretWriteSigner.Propose("acme", "db-password", 1, _kms.ExportSubjectPublicKeyInfo(), Encoding.UTF8.GetBytes(value), Expires);
}
