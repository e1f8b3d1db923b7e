using System.Text;
using Carapace.Kms.Client.Audit;
using Carapace.Kms.Client.Policy;
using Carapace.Kms.Tests.Support;

namespace Carapace.Kms.Tests.Policy;

public sealed class PolicyStoreTests : IDisposable
{
    private readonly KmsFixture _kms = new();

    public void Dispose() => _kms.Dispose();

    private Policies Owners => _kms.Owners;

    private PolicyException Rejected(byte[] document) => Assert.Throws<PolicyException>(() => _kms.Service.SetPolicy(document));

    [Fact]
    public void The_first_policy_is_accepted_with_its_own_owners_approvals()
    {
        var update = _kms.Service.SetPolicy(Owners.Sign(Owners.Build(owners: ["a", "b", "c"], approvals: 2), "a", "c"));

        Assert.Equal(1UL, update.Version);
        Assert.Null(update.PreviousVersion);
        Assert.Equal(["a", "c"], update.ApprovedBy);
        Assert.Equal(1UL, _kms.Service.GetPolicy("acme")!.Policy.Version);
    }

    [Fact]
    public void The_first_policy_with_too_few_signatures_is_rejected()
    {
        var e = Rejected(Owners.Sign(Owners.Build(owners: ["a", "b", "c"], approvals: 2), "a"));

        Assert.Equal(PolicyRejection.InsufficientApprovals, e.Reason);
        Assert.Contains("needs 2 valid signature(s) by its own owners; it has 1", e.Message, StringComparison.Ordinal);
        Assert.Null(_kms.Service.GetPolicy("acme"));
    }

    [Fact]
    public void An_unsigned_policy_is_rejected() =>
        Assert.Equal(PolicyRejection.InsufficientApprovals, Rejected(Owners.Sign(Owners.Build())).Reason);

    [Fact]
    public void An_update_needs_k_valid_signatures_of_the_current_owners()
    {
        _kms.Service.SetPolicy(Owners.Sign(Owners.Build(owners: ["a", "b", "c"], approvals: 2), "a", "b"));

        var e = Rejected(Owners.Sign(Owners.Build(version: 2, owners: ["a", "b", "c"], approvals: 2), "c"));
        var update = _kms.Service.SetPolicy(Owners.Sign(Owners.Build(version: 2, owners: ["a", "b", "c"], approvals: 2), "b", "c"));

        Assert.Equal(PolicyRejection.InsufficientApprovals, e.Reason);
        Assert.Contains("version 1 requires 2 valid signature(s) by its owners (a, b, c) for an update; this one has 1", e.Message, StringComparison.Ordinal);
        Assert.Equal(1UL, update.PreviousVersion);
        Assert.Equal(2UL, _kms.Service.GetPolicy("acme")!.Policy.Version);
    }

    [Fact]
    public void A_signature_by_an_unknown_signer_does_not_count_and_is_reported()
    {
        _kms.Service.SetPolicy(Owners.Sign(Owners.Build(owners: ["a", "b"], approvals: 2), "a", "b"));

        var e = Rejected(Owners.Sign(Owners.Build(version: 2, owners: ["a", "b"], approvals: 2), "a", "mallory"));

        Assert.Equal(PolicyRejection.InsufficientApprovals, e.Reason);
        Assert.Contains("the signature by 'mallory' does not count: 'mallory' is not an owner whose approval is required", e.Errors);
    }

    [Fact]
    public void A_signature_that_does_not_verify_does_not_count_and_is_reported()
    {
        var policy = Owners.Build(owners: ["a", "b"], approvals: 2);
        var document = SignedPolicy.Parse(Owners.Sign(policy, "a"));
        // b signs a different text; the signature is then attached to this one.
        var other = PolicySigner.Sign(policy.ToJson() + " ", "b", Owners.Owner("b"));
        document = document with { Signatures = [.. document.Signatures, other.Signatures[0]] };

        var e = Rejected(document.ToJson());

        Assert.Contains(e.Errors, m => m.StartsWith("the signature by owner 'b' does not count: it does not verify", StringComparison.Ordinal));
    }

    [Fact]
    public void A_signature_by_another_key_under_an_owners_name_does_not_count()
    {
        var policy = Owners.Build(owners: ["a", "b"], approvals: 2);
        var forged = PolicySigner.AddSignature(SignedPolicy.Parse(Owners.Sign(policy, "a")), "b", Owners.Owner("mallory"));

        Assert.Equal(PolicyRejection.InsufficientApprovals, Rejected(forged.ToJson()).Reason);
    }

    [Fact]
    public void The_same_owner_signing_twice_counts_once()
    {
        var policy = Owners.Build(owners: ["a", "b"], approvals: 2);
        var once = SignedPolicy.Parse(Owners.Sign(policy, "a"));
        var twice = once with { Signatures = [once.Signatures[0], once.Signatures[0]] };

        var e = Rejected(twice.ToJson());

        Assert.Contains("a second signature by owner 'a' does not count again", e.Errors);
    }

    [Fact]
    public void An_older_version_is_a_rejected_rollback()
    {
        _kms.Service.SetPolicy(Owners.Sign(Owners.Build(version: 5), "alice"));

        var e = Rejected(Owners.Sign(Owners.Build(version: 4), "alice"));

        Assert.Equal(PolicyRejection.Rollback, e.Reason);
        Assert.Contains("version 4 is older than the current version 5 of namespace 'acme'; rollback refused", e.Errors);
        Assert.Equal(5UL, _kms.Service.GetPolicy("acme")!.Policy.Version);
    }

    [Fact]
    public void An_equal_version_is_rejected_even_when_identical()
    {
        var document = Owners.Sign(Owners.Build(version: 3), "alice");
        _kms.Service.SetPolicy(document);

        var e = Rejected(document);

        Assert.Equal(PolicyRejection.Rollback, e.Reason);
        Assert.Contains("namespace 'acme' already has version 3; a new policy needs a higher version", e.Errors);
    }

    [Fact]
    public void Replacing_the_owners_needs_the_old_owners_approval()
    {
        _kms.Service.SetPolicy(Owners.Sign(Owners.Build(owners: ["old1", "old2"], approvals: 2), "old1", "old2"));
        var takeover = Owners.Build(version: 2, owners: ["new1"], approvals: 1);

        var e = Rejected(Owners.Sign(takeover, "new1"));
        var oneOld = Rejected(Owners.Sign(takeover, "new1", "old1"));
        var accepted = _kms.Service.SetPolicy(Owners.Sign(takeover, "old1", "old2"));

        Assert.Equal(PolicyRejection.InsufficientApprovals, e.Reason);
        Assert.Equal(PolicyRejection.InsufficientApprovals, oneOld.Reason);
        Assert.Equal(["old1", "old2"], accepted.ApprovedBy);

        // From now on the new owners decide, and the old ones cannot.
        Assert.Throws<PolicyException>(() => _kms.Service.SetPolicy(Owners.Sign(Owners.Build(version: 3, owners: ["old1", "old2"], approvals: 2), "old1", "old2")));
        Assert.Equal(3UL, _kms.Service.SetPolicy(Owners.Sign(Owners.Build(version: 3, owners: ["new1"]), "new1")).Version);
    }

    [Fact]
    public void A_rollback_with_too_few_signatures_reports_both_problems()
    {
        _kms.Service.SetPolicy(Owners.Sign(Owners.Build(version: 2), "alice"));

        var e = Rejected(Owners.Sign(Owners.Build(version: 1), "mallory"));

        Assert.Equal(PolicyRejection.Rollback, e.Reason);
        Assert.Equal(3, e.Errors.Count);
    }

    [Fact]
    public void An_invalid_policy_is_rejected_even_when_signed()
    {
        var policy = Owners.Build() with { Chains = [new PolicyChain { Name = "c", Steps = ["ghost"] }] };

        Assert.Equal(PolicyRejection.Invalid, Rejected(Owners.Sign(policy, "alice")).Reason);
    }

    [Fact]
    public void Namespaces_are_independent()
    {
        _kms.Service.SetPolicy(Owners.Sign(Owners.Build(ns: "one", version: 7, owners: ["a"]), "a"));

        var other = _kms.Service.SetPolicy(Owners.Sign(Owners.Build(ns: "two", version: 1, owners: ["b"]), "b"));

        Assert.Equal(1UL, other.Version);
        Assert.Equal(["one", "two"], _kms.Service.Policies.Namespaces());
    }

    [Fact]
    public void Every_version_persists_across_a_restart()
    {
        _kms.Service.SetPolicy(Owners.Sign(Owners.Build(version: 1), "alice"));
        _kms.Service.SetPolicy(Owners.Sign(Owners.Build(version: 2), "alice"));

        var kms = _kms.Reopen();

        Assert.Equal([1UL, 2UL], kms.Policies.History("acme").Select(p => p.Policy.Version));
        Assert.Equal(2UL, kms.GetPolicy("acme")!.Policy.Version);
        Assert.Equal(PolicyRejection.Rollback, Assert.Throws<PolicyException>(() => kms.SetPolicy(Owners.Sign(Owners.Build(version: 2), "alice"))).Reason);
    }

    [Fact]
    public void A_policy_row_edited_in_the_database_is_refused_on_load()
    {
        var policy = Owners.Build(owners: ["a", "b"], approvals: 2);
        _kms.Service.SetPolicy(Owners.Sign(policy, "a", "b"));
        _kms.Service.Dispose();
        // An attacker with the disk lowers the bar: a policy only they signed.
        var forged = Owners.Sign(policy with { Owners = [Owners.Principal("mallory")], Approvals = 1 }, "mallory");
        RawSql.Execute(_kms.Dir.Database, "UPDATE policies SET document = $d", ("$d", forged));

        var kms = _kms.Reopen();
        var e = Assert.Throws<PolicyException>(() => kms.GetPolicy("acme"));

        Assert.Equal(PolicyRejection.Tampered, e.Reason);
        Assert.Contains("modified outside the KMS", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_policy_row_inserted_in_the_database_is_refused_on_load()
    {
        _kms.Service.Dispose();
        RawSql.Execute(_kms.Dir.Database,
            "INSERT INTO policies VALUES ('acme', 1, $d, '[\"mallory\"]', 0, zeroblob(32))",
            ("$d", Owners.Sign(Owners.Build(owners: ["mallory"]), "mallory")));

        var kms = _kms.Reopen();

        Assert.Equal(PolicyRejection.Tampered, Assert.Throws<PolicyException>(() => kms.GetPolicy("acme")).Reason);
    }

    [Fact]
    public void Accepted_and_rejected_updates_are_audited()
    {
        _kms.Service.SetPolicy(Owners.Sign(Owners.Build(), "alice"));
        Assert.Throws<PolicyException>(() => _kms.Service.SetPolicy(Owners.Sign(Owners.Build(), "alice")));
        Assert.Throws<PolicyException>(() => _kms.Service.SetPolicy(Encoding.UTF8.GetBytes("nonsense")));

        var records = _kms.Service.Audit.Read();

        Assert.Equal([AuditKind.PolicyUpdated, AuditKind.PolicyRejected, AuditKind.PolicyRejected], records.Select(r => r.Kind));
        Assert.Equal(["acme", "acme", ""], records.Select(r => r.Namespace));
        Assert.Contains("\"reason\":\"Rollback\"", records[1].Details, StringComparison.Ordinal);
        Assert.Contains("\"approvedBy\":[\"alice\"]", records[0].Details, StringComparison.Ordinal);
        Assert.Equal(_kms.Time.GetUtcNow(), records[0].Time);
    }
}
