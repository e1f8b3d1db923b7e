using Carapace.Kms.Client.Policy;
using Carapace.Kms.Client.Tests.Support;

namespace Carapace.Kms.Client.Tests.Policy;

/// <summary>
/// A policy's counts are bounded (<see cref="PolicyLimits"/>), so checking one and releasing keys under it is bounded
/// work; a policy over a limit is refused with every count named, before any per-entry check.
/// </summary>
public sealed class PolicyLimitTests : IDisposable
{
    private readonly Policies _owners = new();

    public void Dispose() => _owners.Dispose();

    private static PolicyException Invalid(KmsPolicy policy)
    {
        var e = Assert.Throws<PolicyException>(() => KmsPolicy.Parse(policy.ToJson()));
        Assert.Equal(PolicyRejection.Invalid, e.Reason);
        return e;
    }

    [Fact]
    public void A_chain_longer_than_a_sequence_may_be_is_refused()
    {
        var fits = _owners.Build() with { Chains = [new PolicyChain { Name = "long", Steps = [.. Enumerable.Repeat("f", PolicyLimits.MaxChainSteps)] }] };
        var tooLong = _owners.Build() with { Chains = [new PolicyChain { Name = "long", Steps = [.. Enumerable.Repeat("f", PolicyLimits.MaxChainSteps + 1)] }] };

        Assert.Empty(fits.Validate());
        Assert.Equal(["$.chains[0].steps: 51 steps of chain 'long'; a policy may have at most 50"], Invalid(tooLong).Errors);
    }

    [Fact]
    public void Too_many_functions_chains_and_secrets_are_all_reported_at_once()
    {
        var policy = _owners.Build() with
        {
            Functions = [.. Enumerable.Range(0, PolicyLimits.MaxFunctions + 1).Select(i => new PolicyFunction
            {
                Name = $"f{i}",
                Measurements = [new MeasurementRule { Kind = Attestation.EvidenceKind.Sgx, Hash = Policies.SgxHash }],
            })],
            Secrets = [.. Enumerable.Range(0, PolicyLimits.MaxSecrets + 1).Select(i => new PolicySecret { Name = $"s{i}" })],
            Chains = [.. Enumerable.Range(0, PolicyLimits.MaxChains + 1).Select(i => new PolicyChain { Name = $"c{i}", Steps = ["f0", "f1", "f2", "f3"] })],
        };

        var errors = Invalid(policy).Errors;

        Assert.Equal(
        [
            "$.functions: 1025 functions; a policy may have at most 1024",
            "$.secrets: 1025 secrets; a policy may have at most 1024",
            "$.chains: 1025 chains; a policy may have at most 1024",
            "$.chains: 4100 chain steps in all; a policy may have at most 4096",
        ], errors);
    }

    [Fact]
    public void A_function_granted_more_secrets_than_one_release_carries_is_refused()
    {
        var names = Enumerable.Range(0, PolicyLimits.MaxSecretsPerFunction + 1).Select(i => $"s{i}").ToList();
        var policy = _owners.Build() with
        {
            Secrets = [.. names.Select(n => new PolicySecret { Name = n })],
            Functions = [_owners.Build().Functions[0] with { Secrets = names }],
            Chains = [],
        };

        Assert.Equal(["$.functions[0].secrets: 65 secrets granted to function 'f'; a policy may have at most 64"], Invalid(policy).Errors);
    }

    [Fact]
    public void Too_many_owners_is_refused_before_their_keys_are_checked()
    {
        var policy = _owners.Build() with
        {
            Owners = [.. Enumerable.Range(0, PolicyLimits.MaxOwners + 1).Select(i => new PolicyPrincipal { Id = $"o{i}", PublicKey = "not a key" })],
        };

        Assert.Equal(["$.owners: 33 owners; a policy may have at most 32"], Invalid(policy).Errors);
    }
}
