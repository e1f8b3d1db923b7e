using System.Text;
using Carapace.Kms.Client;
using Carapace.Kms.Client.Policy;
using Carapace.Kms.Client.Tests.Support;

namespace Carapace.Kms.Client.Tests.Policy;

public sealed class SignedPolicyTests : IDisposable
{
    private readonly Policies _owners = new();
    private readonly TempTree _dir = new();

    public void Dispose()
    {
        _owners.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public void A_signed_document_round_trips_and_keeps_the_exact_policy_text()
    {
        var text = "{ \"odd\" :\n  \"spacing\" }";
        var document = PolicySigner.Sign(text, "alice", _owners.Owner("alice"));

        var parsed = SignedPolicy.Parse(document.ToJson());

        Assert.Equal(text, parsed.PolicyText);
        Assert.Equal("alice", Assert.Single(parsed.Signatures).Owner);
    }

    [Fact]
    public void Signatures_are_64_byte_p1363_ecdsa_over_the_utf8_policy_text()
    {
        var document = PolicySigner.Sign("{\"x\": \"é\"}", "alice", _owners.Owner("alice"));
        var signature = Convert.FromBase64String(document.Signatures[0].Signature);
        using var key = System.Security.Cryptography.ECDsa.Create();
        key.ImportSubjectPublicKeyInfo(_owners.Owner("alice").PublicKey.Span, out _);

        Assert.Equal(64, signature.Length);
        Assert.True(key.VerifyData(Encoding.UTF8.GetBytes("{\"x\": \"é\"}"), signature, System.Security.Cryptography.HashAlgorithmName.SHA256,
            System.Security.Cryptography.DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
    }

    [Fact]
    public void AddSignature_appends_other_owners_and_replaces_the_same_owner()
    {
        var document = PolicySigner.Sign("{}", "alice", _owners.Owner("alice"));
        document = PolicySigner.AddSignature(document, "bob", _owners.Owner("bob"));
        document = PolicySigner.AddSignature(document, "alice", _owners.Owner("alice"));

        Assert.Equal(["bob", "alice"], document.Signatures.Select(s => s.Owner));
    }

    [Theory]
    [InlineData("{\"policy\": \"{}\"}", "$.signatures: required field is missing")]
    [InlineData("{\"policy\": \"{}\", \"signatures\": [], \"x\": 1}", "$: unknown field 'x' (allowed: policy, signatures)")]
    [InlineData("{\"policy\": \"{}\", \"policy\": \"{}\", \"signatures\": []}", "$: duplicate field 'policy'")]
    [InlineData("{\"policy\": {}, \"signatures\": []}", "$.policy: must be a string, not an object")]
    [InlineData("{\"policy\": \"{}\", \"signatures\": [{\"owner\": \"a\"}]}", "$.signatures[0].signature: required field is missing")]
    public void Parse_is_strict(string json, string error)
    {
        var e = Assert.Throws<PolicyException>(() => SignedPolicy.Parse(Encoding.UTF8.GetBytes(json)));

        Assert.Equal(PolicyRejection.Malformed, e.Reason);
        Assert.Contains(error, e.Errors);
    }

    [Fact]
    public void Parse_rejects_invalid_utf8() =>
        Assert.Equal(PolicyRejection.Malformed,
            Assert.Throws<PolicyException>(() => SignedPolicy.Parse([(byte)'{', (byte)'"', 0xFF, (byte)'"', (byte)':', (byte)'1', (byte)'}'])).Reason);

    [Fact]
    public void Parse_rejects_an_escaped_lone_surrogate_in_a_field_name() =>
        Assert.Equal(PolicyRejection.Malformed, Assert.Throws<PolicyException>(() => SignedPolicy.Parse("{\"\\ud800\": 1}"u8)).Reason);

    [Fact]
    public void An_owner_key_file_is_owner_only_pkcs8_pem_and_loads_back()
    {
        var path = _dir.Output("owner.key");
        using var created = OwnerKey.Create(path);

        using var loaded = OwnerKey.Load(path);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", File.ReadAllText(path), StringComparison.Ordinal);
        Assert.Equal(created.PublicKeyBase64, loaded.PublicKeyBase64);
        var document = PolicySigner.Sign("{}", "alice", path);
        Assert.Single(document.Signatures);
    }

    [Fact]
    public void Create_refuses_to_overwrite_an_existing_key()
    {
        var path = _dir.Output("owner.key");
        OwnerKey.Create(path).Dispose();

        Assert.Throws<KmsKeyFileException>(() => OwnerKey.Create(path));
    }

    [Fact]
    public void Load_refuses_a_key_file_other_users_can_read()
    {
        var path = _dir.Output("owner.key");
        OwnerKey.Create(path).Dispose();
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);

        var e = Assert.Throws<KmsKeyFileException>(() => OwnerKey.Load(path));

        Assert.Contains("chmod 600", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_refuses_a_file_that_is_not_a_p256_key()
    {
        var path = _dir.Output("owner.key");
        using (var rsa = System.Security.Cryptography.RSA.Create(2048))
        {
            File.WriteAllText(path, rsa.ExportPkcs8PrivateKeyPem());
        }

        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        Assert.Throws<KmsKeyFileException>(() => OwnerKey.Load(path));
    }
}
