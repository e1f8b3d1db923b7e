using System.Security.Cryptography;
using System.Text;
using Carapace.Kms.Audit;
using Carapace.Kms.Policy;
using Carapace.Kms.Secrets;
using Carapace.Kms.Tests.Support;

namespace Carapace.Kms.Tests.Secrets;

/// <summary>
/// Secret writes follow the policy rule: in a namespace whose policy needs 2 of its 3 owners (alice, bob, carol), a
/// first value, a replacement and a delete each need two of them; every outcome is audited, never with the value.
/// </summary>
public sealed class SecretWriteTests : IDisposable
{
    private const string Marker = "WRITE-MARKER-5e2b7c40";
    private readonly KmsFixture _kms = new();

    public SecretWriteTests()
    {
        var policy = _kms.Owners.Build(owners: ["alice", "bob", "carol"], approvals: 2) with
        {
            Secrets = [new() { Name = "db-password" }, new() { Name = "api-token" }],
        };
        _kms.Service.SetPolicy(_kms.Owners.Sign(policy, "alice", "bob"));
    }

    public void Dispose() => _kms.Dispose();

    private DateTimeOffset Now => _kms.Time.GetUtcNow();

    [Fact]
    public void A_single_owner_alone_can_neither_store_the_first_value_nor_replace_nor_delete_it()
    {
        var first = Refused(Write("db-password", "one", 1, "alice"));
        Assert.Equal(SecretWriteRejection.InsufficientApprovals, first.Reason);
        Assert.StartsWith("the secret write lacks the required owner approvals: namespace 'acme' (policy v1) needs 2 of its 3 owners (alice, bob, carol) "
            + "to approve a put of a secret; this write has 1 (alice)", first.Message, StringComparison.Ordinal);
        Assert.Null(_kms.Service.Secrets.Get("acme", "db-password"));

        Apply(Write("db-password", "one", 1, "alice", "bob"));
        var replace = Refused(Write("db-password", Marker, 2, "carol"));
        var delete = Refused(Write("db-password", null, 2, "carol"));

        Assert.Equal(SecretWriteRejection.InsufficientApprovals, replace.Reason);
        Assert.Equal(SecretWriteRejection.InsufficientApprovals, delete.Reason);
        Assert.Contains("to approve a delete of a secret; this write has 1 (carol)", delete.Message, StringComparison.Ordinal);
        Assert.Equal("one", Value("db-password"));
        var rejected = _kms.Service.Audit.Read().Where(r => r.Kind == AuditKind.SecretWriteRejected).ToList();
        Assert.Equal(3, rejected.Count);
        Assert.All(rejected, r => Assert.Equal(("acme", "db-password"), (r.Namespace, r.Subject)));
        Assert.Contains("\"operation\":\"put\",\"version\":2", rejected[1].Details, StringComparison.Ordinal);
        Assert.Contains("\"approvedBy\":[\"carol\"],\"signers\":[\"carol\"],\"reason\":\"InsufficientApprovals\"", rejected[1].Details, StringComparison.Ordinal);
        Assert.Contains("\"operation\":\"delete\",\"version\":2", rejected[2].Details, StringComparison.Ordinal);
        AssertNoValueIn(_kms.Service.Audit.Read().Select(r => r.Details).Append(replace.Message));
    }

    [Fact]
    public void Two_owners_store_replace_and_delete_and_each_write_is_audited_with_its_approvers()
    {
        var stored = Apply(Write("db-password", "one", 1, "alice", "bob"));
        var replaced = Apply(Write("db-password", "two", 2, "bob", "carol"));
        Assert.Equal("two", Value("db-password"));
        var deleted = Apply(Write("db-password", null, 3, "carol", "alice"));

        Assert.Equal((SecretOperation.Put, 1L), (stored.Operation, stored.Version));
        Assert.Equal(["alice", "bob"], stored.ApprovedBy);
        Assert.Equal(2L, replaced.Version);
        Assert.Equal((SecretOperation.Delete, 3L), (deleted.Operation, deleted.Version));
        Assert.Null(_kms.Service.Secrets.Get("acme", "db-password"));
        var entry = Assert.Single(_kms.Service.ListSecrets("acme"), e => e.Name == "db-password");
        Assert.Equal((true, (long?)null, 3L, 4L), (entry.Declared, entry.Version, entry.LastWrite, entry.NextWrite));
        var writes = _kms.Service.Audit.Read().Where(r => r.Kind is AuditKind.SecretPut or AuditKind.SecretDeleted).ToList();
        Assert.Equal([AuditKind.SecretPut, AuditKind.SecretPut, AuditKind.SecretDeleted], writes.Select(r => r.Kind));
        Assert.Contains("\"approvedBy\":[\"bob\",\"carol\"]", writes[1].Details, StringComparison.Ordinal);
        Assert.Contains("\"versionsDeleted\":2", writes[2].Details, StringComparison.Ordinal);
    }

    [Fact]
    public void An_applied_write_replayed_is_refused_even_after_a_delete()
    {
        var put = Write("db-password", "one", 1, "alice", "bob");
        Apply(put);
        var replay = Refused(put);
        Assert.Equal(SecretWriteRejection.StaleVersion, replay.Reason);
        Assert.Contains("has had write v1 already (its last write is v1): an applied write is not applied again; for another change propose write v2",
            replay.Message, StringComparison.Ordinal);

        Apply(Write("db-password", null, 2, "alice", "bob"));
        Assert.Equal(SecretWriteRejection.StaleVersion, Refused(put).Reason);
        Assert.Null(_kms.Service.Secrets.Get("acme", "db-password"));
        Assert.Contains(_kms.Service.Audit.Read(), r => r.Kind == AuditKind.SecretWriteRejected && r.Details.Contains("\"reason\":\"StaleVersion\"", StringComparison.Ordinal));
    }

    [Fact]
    public void A_held_write_is_void_once_another_is_applied_and_a_write_ahead_of_the_next_is_refused()
    {
        var first = Write("db-password", "one", 1, "alice", "bob");
        var held = Write("db-password", Marker, 1, "bob", "carol");
        Apply(first);

        Assert.Equal(SecretWriteRejection.StaleVersion, Refused(held).Reason);
        var ahead = Refused(Write("db-password", "three", 5, "alice", "bob"));
        Assert.Equal(SecretWriteRejection.StaleVersion, ahead.Reason);
        Assert.Contains("the next write of secret 'db-password' of namespace 'acme' is v2, not v5", ahead.Message, StringComparison.Ordinal);
        Assert.Equal("one", Value("db-password"));
    }

    [Fact]
    public void Signatures_by_a_non_owner_or_over_another_namespace_secret_version_or_value_do_not_count()
    {
        using var mallory = OwnerKey.Generate();
        var write = Write("db-password", "one", 1, "alice");
        var strangers = write with { Signatures = [.. write.Signatures, Signature(write, "mallory", mallory)] };
        var impostor = write with { Signatures = [.. write.Signatures, Signature(write, "bob", mallory)] };
        var twice = write with { Signatures = [write.Signatures[0], write.Signatures[0]] };

        var refusedStranger = Refused(strangers);
        Assert.Equal(SecretWriteRejection.InsufficientApprovals, refusedStranger.Reason);
        Assert.Contains("the signature by 'mallory' does not count: 'mallory' is not an owner whose approval is required", refusedStranger.Errors);
        Assert.Contains("does not verify over this secret write with the owner's key", Refused(impostor).Message, StringComparison.Ordinal);
        Assert.Contains("a second signature by owner 'alice' does not count again", Refused(twice).Errors);

        // Bob signs a write that differs in one field; his signature, copied onto alice's write, does not count.
        var others = new[]
        {
            write.Write with { Namespace = "other" },
            write.Write with { Secret = "api-token" },
            write.Write with { Version = 2 },
            write.Write with { Operation = SecretOperation.Delete, SealedValueSha256 = null },
            write.Write with { SealedValueSha256 = new string('0', 64) },
            write.Write with { Expires = write.Write.Expires.AddSeconds(1) },
        };
        foreach (var other in others)
        {
            var borrowed = Signature(write with { Write = other }, "bob", _kms.Owners.Owner("bob"));
            var e = Refused(write with { Signatures = [.. write.Signatures, borrowed] });
            Assert.Equal(SecretWriteRejection.InsufficientApprovals, e.Reason);
            Assert.Contains(e.Errors, m => m.StartsWith("the signature by owner 'bob' does not count: it does not verify", StringComparison.Ordinal));
        }

        Assert.Null(_kms.Service.Secrets.Get("acme", "db-password"));
    }

    [Fact]
    public void Signatures_of_an_owner_a_later_policy_removed_no_longer_count()
    {
        var write = Write("db-password", "one", 1, "alice", "bob");
        var next = _kms.Owners.Build(version: 2, owners: ["alice", "carol", "dave"], approvals: 2) with { Secrets = [new() { Name = "db-password" }] };
        _kms.Service.SetPolicy(_kms.Owners.Sign(next, "alice", "carol"));

        var e = Refused(write);

        Assert.Equal(SecretWriteRejection.InsufficientApprovals, e.Reason);
        Assert.Contains("the signature by 'bob' does not count: 'bob' is not an owner whose approval is required", e.Errors);
    }

    [Fact]
    public void A_value_swapped_after_the_owners_signed_or_sealed_to_another_KMS_is_refused()
    {
        var write = Write("db-password", "one", 1, "alice", "bob");
        var swapped = SealedSecretValue.Seal(_kms.Service.SecretSealingPublicKey.Span, "acme", "db-password", 1, Encoding.UTF8.GetBytes(Marker));
        using var otherKms = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var elsewhere = Sign(SecretWriteSigner.Propose("acme", "db-password", 1, otherKms.ExportSubjectPublicKeyInfo(), "one"u8.ToArray(), Now.AddDays(1)),
            "alice", "bob");

        var malformed = Refused(write with { SealedValue = swapped });
        var resigned = Refused(write with { SealedValue = swapped, Write = write.Write with { SealedValueSha256 = swapped.Sha256() } });
        var unsealable = Refused(elsewhere);

        Assert.Equal(SecretWriteRejection.Malformed, malformed.Reason);
        Assert.Contains("it is not the value the write names", malformed.Message, StringComparison.Ordinal);
        Assert.Equal(SecretWriteRejection.InsufficientApprovals, resigned.Reason);
        Assert.Equal(SecretWriteRejection.Unsealable, unsealable.Reason);
        Assert.Contains("the value is sealed to KMS key", unsealable.Message, StringComparison.Ordinal);
        Assert.Null(_kms.Service.Secrets.Get("acme", "db-password"));
    }

    [Fact]
    public void A_value_sealed_for_another_version_does_not_open()
    {
        var sealedForV2 = SealedSecretValue.Seal(_kms.Service.SecretSealingPublicKey.Span, "acme", "db-password", 2, "one"u8);
        var unsigned = SecretWriteSigner.Propose("acme", "db-password", 1, _kms.Service.SecretSealingPublicKey.Span, "x"u8.ToArray(), Now.AddDays(1));
        var moved = Sign(unsigned with { SealedValue = sealedForV2, Write = unsigned.Write with { SealedValueSha256 = sealedForV2.Sha256() } }, "alice", "bob");

        var e = Refused(moved);

        Assert.Equal(SecretWriteRejection.Unsealable, e.Reason);
        Assert.Contains("it was altered or sealed for another write", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Expired_approvals_and_approvals_claiming_more_than_30_days_and_the_clock_skew_are_refused()
    {
        var write = Write("db-password", "one", 1, "alice", "bob");
        var forever = Write("db-password", "one", 1, "alice", "bob", expires: Now.AddDays(30).AddMinutes(6));
        var skewed = Write("api-token", "t", 1, "alice", "bob", expires: Now.AddDays(30).AddMinutes(4));

        var tooLong = Refused(forever);
        Apply(skewed);
        _kms.Time.Advance(TimeSpan.FromDays(7));
        var expired = Refused(write);

        Assert.Equal(SecretWriteRejection.Expired, tooLong.Reason);
        Assert.Contains("more than 30 days after the KMS's clock", tooLong.Message, StringComparison.Ordinal);
        Assert.Equal(SecretWriteRejection.Expired, expired.Reason);
        Assert.Contains("its approvals held until 2025-06-08T12:00:00Z, and the KMS's clock says 2025-06-08T12:00:00Z", expired.Message, StringComparison.Ordinal);
        Assert.Null(_kms.Service.Secrets.Get("acme", "db-password"));
    }

    [Fact]
    public void Undeclared_secrets_unknown_namespaces_missing_values_and_mismatched_requests_are_refused()
    {
        var undeclared = Refused(Write("undeclared", "x", 1, "alice", "bob"));
        var unknown = Assert.Throws<SecretWriteException>(() =>
            _kms.Service.WriteSecret(Write("db-password", "x", 1, "alice", "bob").ToJson(), "nobody", "db-password", SecretOperation.Put));
        var nothing = Refused(Write("api-token", null, 1, "alice", "bob"));
        var mismatch = Assert.Throws<SecretWriteException>(() =>
            _kms.Service.WriteSecret(Write("db-password", "x", 1, "alice", "bob").ToJson(), "acme", "api-token", SecretOperation.Put));
        var wrongOperation = Assert.Throws<SecretWriteException>(() =>
            _kms.Service.WriteSecret(Write("db-password", "x", 1, "alice", "bob").ToJson(), "acme", "db-password", SecretOperation.Delete));

        Assert.Equal(SecretWriteRejection.UnknownSecret, undeclared.Reason);
        Assert.Equal(SecretWriteRejection.Mismatch, unknown.Reason);
        Assert.Equal(SecretWriteRejection.NoValue, nothing.Reason);
        Assert.Equal(SecretWriteRejection.Mismatch, mismatch.Reason);
        Assert.Contains("the document is a put of secret 'db-password' of namespace 'acme' but came with a put of secret 'api-token'", mismatch.Message, StringComparison.Ordinal);
        Assert.Equal(SecretWriteRejection.Mismatch, wrongOperation.Reason);
        var noPolicy = Assert.Throws<SecretWriteException>(() =>
            _kms.Service.WriteSecret(Write("db-password", "x", 1, "alice", "bob", ns: "nobody").ToJson(), "nobody", "db-password", SecretOperation.Put));
        Assert.Equal(SecretWriteRejection.UnknownNamespace, noPolicy.Reason);
        Assert.DoesNotContain(_kms.Service.Audit.Read(), r => r.Namespace == "nobody");
    }

    [Fact]
    public void A_stored_secret_the_policy_no_longer_declares_can_still_be_deleted_and_is_listed_as_undeclared()
    {
        Apply(Write("api-token", "t", 1, "alice", "bob"));
        var next = _kms.Owners.Build(version: 2, owners: ["alice", "bob", "carol"], approvals: 2) with { Secrets = [new() { Name = "db-password" }] };
        _kms.Service.SetPolicy(_kms.Owners.Sign(next, "alice", "bob"));

        Assert.Equal(SecretWriteRejection.UnknownSecret, Refused(Write("api-token", "t2", 2, "alice", "bob")).Reason);
        var listed = Assert.Single(_kms.Service.ListSecrets("acme"), e => e.Name == "api-token");
        Assert.Equal((false, (long?)1), (listed.Declared, listed.Version));
        Apply(Write("api-token", null, 2, "alice", "bob"));
        Assert.Null(_kms.Service.Secrets.Get("acme", "api-token"));
    }

    [Fact]
    public void The_sealing_key_is_the_same_after_a_restart_so_a_pending_request_still_applies()
    {
        var before = _kms.Service.SecretSealingPublicKey.ToArray();
        var pending = Write("db-password", "one", 1, "alice", "bob");

        _kms.Reopen();

        Assert.Equal(before, _kms.Service.SecretSealingPublicKey.ToArray());
        Apply(pending);
        Assert.Equal("one", Value("db-password"));
    }

    [Fact]
    public void A_garbled_document_is_refused_as_malformed_and_audited_without_its_bytes()
    {
        var e = Assert.Throws<SecretWriteException>(() => _kms.Service.WriteSecret(Encoding.UTF8.GetBytes(Marker), "acme", "db-password", SecretOperation.Put));

        Assert.Equal(SecretWriteRejection.Malformed, e.Reason);
        var record = Assert.Single(_kms.Service.Audit.Read(), r => r.Kind == AuditKind.SecretWriteRejected);
        Assert.Contains("\"reason\":\"Malformed\"", record.Details, StringComparison.Ordinal);
        AssertNoValueIn([record.Details, e.Message]);
    }

    private SignedSecretWrite Write(string secret, string? value, long version, string proposer, string? second = null, DateTimeOffset? expires = null,
        string ns = "acme")
    {
        var document = SecretWriteSigner.Propose(ns, secret, version, _kms.Service.SecretSealingPublicKey.Span,
            value is null ? null : Encoding.UTF8.GetBytes(value), expires ?? Now.AddDays(7));
        return second is null ? Sign(document, proposer) : Sign(document, proposer, second);
    }

    private SignedSecretWrite Sign(SignedSecretWrite document, params string[] owners) =>
        owners.Aggregate(document, (d, owner) => SecretWriteSigner.AddSignature(d, owner, _kms.Owners.Owner(owner)));

    private static PolicySignature Signature(SignedSecretWrite document, string id, OwnerKey key) =>
        new(id, Convert.ToBase64String(key.Sign(document.Write.SignedBytes())));

    private SecretWriteResult Apply(SignedSecretWrite document) =>
        _kms.Service.WriteSecret(document.ToJson(), document.Write.Namespace, document.Write.Secret, document.Write.Operation);

    private SecretWriteException Refused(SignedSecretWrite document) => Assert.Throws<SecretWriteException>(() => Apply(document));

    private string Value(string secret)
    {
        using var value = _kms.Service.Secrets.Get("acme", secret)!;
        return Encoding.UTF8.GetString(value.Value);
    }

    private static void AssertNoValueIn(IEnumerable<string> texts)
    {
        foreach (var text in texts)
        {
            Assert.DoesNotContain(Marker, text, StringComparison.Ordinal);
            Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes(Marker)), text, StringComparison.Ordinal);
        }
    }
}
