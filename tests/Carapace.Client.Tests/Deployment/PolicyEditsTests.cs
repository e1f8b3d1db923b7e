using Carapace.Attestation;
using Carapace.Attestation.Tee;
using Carapace.Client.Deployment;
using Carapace.Kms.Client.Policy;

namespace Carapace.Client.Tests.Deployment;

/// <summary>The policy edits of a deploy's two halves and their undo: each keeps what is not its own, and every result is a valid policy.</summary>
public sealed class PolicyEditsTests
{
    private static readonly string Old = new('a', 64);
    private static readonly string New = new('b', 64);
    private static readonly string Other = new('c', 64);

    [Fact]
    public void Expand_accepts_the_new_measurement_beside_the_old_and_grants_the_union_of_secrets()
    {
        var policy = WithHello(Old, ["db"]);

        var expanded = PolicyEdits.Expand(policy, "hello", New, ["db", "api"], out var expansion);

        var function = expanded.FindFunction("hello")!;
        Assert.Equal([Old, New], function.Measurements.Select(m => m.Hash));
        Assert.Equal(["db", "api"], function.Secrets);
        Assert.Equal((false, true, false), (expansion.FunctionCreated, expansion.MeasurementAdded, expansion.ChainCreated));
        Assert.Equal(["api"], expansion.GrantsAdded);
        Assert.Equal(["api"], expansion.DeclarationsAdded);
        Assert.Empty(expanded.Validate());
    }

    [Fact]
    public void Rollback_after_expand_gives_back_the_same_policy_for_a_new_function_and_for_a_redeploy()
    {
        var existing = WithHello(Old, ["db"]);
        var empty = Policy();

        foreach (var (policy, secrets) in new[] { (existing, new[] { "db", "api" }), (empty, ["api"]), (existing, ["db"]) })
        {
            var expanded = PolicyEdits.Expand(policy, "hello", New, secrets, out var expansion);
            var rolled = PolicyEdits.Rollback(expanded, "hello", New, expansion);

            Assert.True(PolicyEdits.SameContent(policy, rolled), rolled.ToJson());
        }
    }

    [Fact]
    public void Rollback_keeps_what_a_concurrent_deploy_added_meanwhile()
    {
        var mine = PolicyEdits.Expand(WithHello(Old, []), "hello", New, [], out var expansion);
        var theirs = PolicyEdits.Expand(mine, "hello", Other, ["theirs"], out _);

        var rolled = PolicyEdits.Rollback(theirs, "hello", New, expansion);

        Assert.Equal([Old, Other], rolled.FindFunction("hello")!.Measurements.Select(m => m.Hash));
        Assert.Equal(["theirs"], rolled.FindFunction("hello")!.Secrets);
        Assert.Empty(rolled.Validate());
    }

    [Fact]
    public void Rollback_of_a_new_function_removes_it_with_every_chain_that_names_it()
    {
        var expanded = PolicyEdits.Expand(Policy(), "hello", New, [], out var expansion);
        var chained = PolicyEdits.WithChain(expanded, "pipeline", ["hello"]);

        var rolled = PolicyEdits.Rollback(chained, "hello", New, expansion);

        Assert.Empty(rolled.Functions);
        Assert.Empty(rolled.Chains);
        Assert.Empty(rolled.Validate());
    }

    [Fact]
    public void Contract_keeps_only_the_new_measurement_and_drops_the_keys_of_earlier_images()
    {
        var oldImageKey = "image-key.hello." + new string('1', 32);
        var newImageKey = "image-key.hello." + new string('2', 32);
        var expanded = PolicyEdits.Expand(WithHello(Old, [oldImageKey]), "hello", New, [newImageKey], out _);

        var contracted = PolicyEdits.Contract(expanded, "hello", New, [newImageKey]);

        var function = contracted.FindFunction("hello")!;
        Assert.Equal([New], function.Measurements.Select(m => m.Hash));
        Assert.Equal([newImageKey], function.Secrets);
        Assert.Equal([newImageKey], contracted.Secrets.Select(s => s.Name));
        Assert.Equal(["hello"], contracted.FindChain("hello")!.Steps);
        Assert.Empty(contracted.Validate());
    }

    [Fact]
    public void Restore_after_without_gives_back_the_same_policy()
    {
        var policy = PolicyEdits.WithChain(WithHello(Old, ["db"]), "pipeline", ["hello"]);

        foreach (var name in new[] { "hello", "pipeline" })
        {
            var without = PolicyEdits.Without(policy, name);
            var removedFunction = without.FindFunction(name) is null ? policy.FindFunction(name) : null;

            var restored = PolicyEdits.Restore(without, removedFunction, policy.FindChain(name));

            Assert.Equal(Shape(policy), Shape(restored));
            Assert.Empty(restored.Validate());
        }
    }

    [Fact]
    public void Restore_chain_puts_back_the_previous_steps_only_while_the_chain_is_still_the_failed_one()
    {
        var policy = PolicyEdits.WithChain(WithHello(Old, []), "pipeline", ["hello"]);
        var before = policy.FindChain("pipeline");
        var changed = PolicyEdits.WithChain(policy, "pipeline", ["hello", "hello"]);

        Assert.Equal(["hello"], PolicyEdits.RestoreChain(changed, "pipeline", ["hello", "hello"], before).FindChain("pipeline")!.Steps);
        Assert.Null(PolicyEdits.RestoreChain(changed, "pipeline", ["hello", "hello"], before: null).FindChain("pipeline"));
        Assert.Equal(["hello", "hello"], PolicyEdits.RestoreChain(changed, "pipeline", ["hello"], before).FindChain("pipeline")!.Steps);
    }

    [Fact]
    public void On_a_confidential_VM_platform_the_first_policy_trusts_its_VM_images_and_deploys_write_workload_rules()
    {
        using var owner = OwnerKey.Generate();
        var tee = new TeeSettings
        {
            Kind = TeeKind.Tdx,
            Vms = [new ConfidentialVm { Kind = EvidenceKind.Tdx, LaunchMeasurement = new string('7', 96) }],
        };

        var initial = PolicyEdits.Initial("guest", new PolicyPrincipal { Id = "owner", PublicKey = owner.PublicKeyBase64 }, null, tee) with { Version = 1 };
        var deployed = PolicyEdits.Expand(initial, "hello", New, [], out var expansion, TeeKind.Tdx);
        var rolledBack = PolicyEdits.Rollback(deployed, "hello", New, expansion, TeeKind.Tdx);

        Assert.False(initial.AllowSimulation);
        Assert.Equal(new string('7', 96), Assert.Single(initial.ConfidentialVms).LaunchMeasurement);
        var rule = Assert.Single(deployed.FindFunction("hello")!.Measurements);
        Assert.Equal((EvidenceKind.Tdx, New, null), (rule.Kind, rule.Workload, rule.Hash));
        Assert.Empty(deployed.Validate());
        Assert.Null(rolledBack.FindFunction("hello"));
        Assert.True(PolicyEdits.Initial("guest", new PolicyPrincipal { Id = "owner", PublicKey = owner.PublicKeyBase64 }, null, TeeSettings.Simulation).AllowSimulation);
    }

    private static KmsPolicy WithHello(string measurement, string[] secrets) =>
        PolicyEdits.WithFunction(Policy(), "hello", measurement, secrets);

    private static KmsPolicy Policy()
    {
        using var owner = OwnerKey.Generate();
        return PolicyEdits.Initial("guest", new PolicyPrincipal { Id = "owner", PublicKey = owner.PublicKeyBase64 }, null) with { Version = 1 };
    }

    /// <summary>The functions (with measurements and secrets) and chains of a policy, in name order.</summary>
    private static string Shape(KmsPolicy policy) => string.Join("; ",
        policy.Functions.OrderBy(f => f.Name, StringComparer.Ordinal).Select(f => $"{f.Name}={string.Join(",", f.Measurements.Select(m => m.Hash))}/{string.Join(",", f.Secrets)}")
            .Concat(policy.Chains.OrderBy(c => c.Name, StringComparer.Ordinal).Select(c => $"{c.Name}:{string.Join(">", c.Steps)}")));
}
