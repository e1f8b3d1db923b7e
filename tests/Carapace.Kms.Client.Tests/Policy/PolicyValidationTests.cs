using Carapace.Attestation;
using Carapace.Kms.Client.Policy;
using Carapace.Kms.Client.Tests.Support;

namespace Carapace.Kms.Client.Tests.Policy;

public sealed class PolicyValidationTests : IDisposable
{
    private readonly Policies _owners = new();

    public void Dispose() => _owners.Dispose();

    private static PolicyException Invalid(KmsPolicy policy)
    {
        var e = Assert.Throws<PolicyException>(() => KmsPolicy.Parse(policy.ToJson()));
        Assert.Equal(PolicyRejection.Invalid, e.Reason);
        return e;
    }

    private KmsPolicy WithRule(MeasurementRule rule) => _owners.Build() with
    {
        Functions = [new PolicyFunction { Name = "f", Measurements = [rule] }],
        Chains = [],
    };

    [Fact]
    public void A_valid_policy_has_no_problems() => Assert.Empty(_owners.Build(owners: ["a", "b", "c"], approvals: 2).Validate());

    [Fact]
    public void A_chain_step_naming_an_unknown_function_is_an_error()
    {
        var policy = _owners.Build() with { Chains = [new PolicyChain { Name = "c", Steps = ["f", "nope"] }] };

        Assert.Equal(["$.chains[0].steps[1]: chain 'c' names unknown function 'nope'"], Invalid(policy).Errors);
    }

    [Fact]
    public void A_chain_without_steps_is_an_error()
    {
        var policy = _owners.Build() with { Chains = [new PolicyChain { Name = "c", Steps = [] }] };

        Assert.Equal(["$.chains[0].steps: chain 'c' needs at least one step"], Invalid(policy).Errors);
    }

    [Fact]
    public void Granting_an_undeclared_secret_is_an_error()
    {
        var policy = _owners.Build() with { Secrets = [] };

        Assert.Equal(["$.functions[0].secrets[0]: function 'f' is granted undeclared secret 'db-password' (declare it under $.secrets)"], Invalid(policy).Errors);
    }

    [Fact]
    public void More_approvals_than_owners_is_an_error()
    {
        var e = Invalid(_owners.Build(owners: ["a", "b"], approvals: 3));

        Assert.Equal(["$.approvals: 3 approvals can never be reached with 2 owner(s) (k must not exceed n)"], e.Errors);
    }

    [Fact]
    public void Zero_approvals_is_an_error() =>
        Assert.Equal(["$.approvals: must be at least 1 (it is 0)"], Invalid(_owners.Build(approvals: 0)).Errors);

    [Fact]
    public void Version_zero_is_an_error() => Assert.Equal(["$.version: must be at least 1"], Invalid(_owners.Build(version: 0)).Errors);

    [Fact]
    public void A_policy_without_owners_is_an_error() =>
        Assert.Contains("$.owners: a policy needs at least one owner", Invalid(_owners.Build(owners: [])).Errors);

    [Theory]
    [InlineData(EvidenceKind.Simulation, 48)]
    [InlineData(EvidenceKind.Sgx, 31)]
    [InlineData(EvidenceKind.Sgx, 48)]
    [InlineData(EvidenceKind.Tdx, 32)]
    [InlineData(EvidenceKind.SevSnp, 32)]
    [InlineData(EvidenceKind.Nitro, 64)]
    public void A_hash_of_the_wrong_length_for_its_kind_is_an_error(EvidenceKind kind, int bytes)
    {
        var policy = WithRule(new MeasurementRule { Kind = kind, Hash = Attest.Hex(bytes, 1) }) with { AllowSimulation = true };

        var error = Assert.Single(Invalid(policy).Errors);

        Assert.StartsWith($"$.functions[0].measurements[0].hash: a {EvidenceKinds.Name(kind)} measurement is {MeasurementRule.HashLength(kind)} bytes", error, StringComparison.Ordinal);
        Assert.EndsWith($"got {bytes * 2} hex digits", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_hash_that_is_not_hex_is_an_error()
    {
        var policy = WithRule(new MeasurementRule { Kind = EvidenceKind.Sgx, Hash = new string('z', 64) });

        Assert.Contains("not all hex digits", Assert.Single(Invalid(policy).Errors), StringComparison.Ordinal);
    }

    [Fact]
    public void A_signer_rule_for_another_kind_than_sgx_is_an_error()
    {
        var policy = WithRule(new MeasurementRule { Kind = EvidenceKind.Tdx, Signer = Policies.SgxSigner, ProductId = 1, MinSvn = 1 });

        Assert.Contains("signer rules exist only for sgx", Assert.Single(Invalid(policy).Errors), StringComparison.Ordinal);
    }

    [Fact]
    public void A_signer_of_the_wrong_length_is_an_error()
    {
        var policy = WithRule(new MeasurementRule { Kind = EvidenceKind.Sgx, Signer = Attest.Hex(48, 1), ProductId = 1, MinSvn = 1 });

        Assert.StartsWith("$.functions[0].measurements[0].signer: an MRSIGNER is 32 bytes", Assert.Single(Invalid(policy).Errors), StringComparison.Ordinal);
    }

    [Fact]
    public void A_sim_rule_without_allow_simulation_is_an_error()
    {
        var policy = WithRule(new MeasurementRule { Kind = EvidenceKind.Simulation, Hash = Policies.SimHash });

        Assert.Contains("allowSimulation is false", Assert.Single(Invalid(policy).Errors), StringComparison.Ordinal);
    }

    [Fact]
    public void A_function_without_measurements_is_an_error()
    {
        var policy = WithRule(new MeasurementRule { Kind = EvidenceKind.Sgx, Hash = Policies.SgxHash }) with
        {
            Functions = [new PolicyFunction { Name = "f", Measurements = [] }],
        };

        Assert.Contains("has no measurements", Assert.Single(Invalid(policy).Errors), StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicate_names_are_errors()
    {
        var basis = _owners.Build();
        var policy = basis with
        {
            Owners = [_owners.Principal("alice"), _owners.Principal("alice") with { PublicKey = _owners.Owner("other").PublicKeyBase64 }],
            Functions = [.. basis.Functions, basis.Functions[1]],
            Secrets = [.. basis.Secrets, basis.Secrets[0]],
            Chains = [.. basis.Chains, basis.Chains[0]],
        };

        var errors = Invalid(policy).Errors;

        Assert.Contains("$.owners[1].id: duplicate id 'alice'", errors);
        Assert.Contains("$.functions[2].name: duplicate function 'g'", errors);
        Assert.Contains("$.secrets[1].name: duplicate secret 'db-password'", errors);
        Assert.Contains("$.chains[1].name: duplicate chain 'pipeline'", errors);
    }

    [Fact]
    public void Two_owners_sharing_a_key_is_an_error()
    {
        var policy = _owners.Build(owners: ["alice", "bob"], approvals: 2) with
        {
            Owners = [_owners.Principal("alice"), _owners.Principal("alice") with { Id = "bob" }],
        };

        Assert.Contains("'bob' has the same key as 'alice'", Assert.Single(Invalid(policy).Errors), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not base64!")]
    [InlineData("AAAA")]
    public void An_owner_key_that_is_not_a_p256_public_key_is_an_error(string key)
    {
        var policy = _owners.Build() with { Owners = [new PolicyPrincipal { Id = "alice", PublicKey = key }] };

        Assert.StartsWith("$.owners[0].publicKey: the key of 'alice'", Assert.Single(Invalid(policy).Errors), StringComparison.Ordinal);
    }

    [Fact]
    public void An_owner_key_on_another_curve_is_an_error()
    {
        using var p384 = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP384);
        var policy = _owners.Build() with
        {
            Owners = [new PolicyPrincipal { Id = "alice", PublicKey = Convert.ToBase64String(p384.ExportSubjectPublicKeyInfo()) }],
        };

        Assert.Contains("is not on the P-256 curve", Assert.Single(Invalid(policy).Errors), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-leading-dash")]
    [InlineData("has space")]
    [InlineData("ünïcode")]
    public void A_name_breaking_the_name_rule_is_an_error(string name)
    {
        var policy = _owners.Build() with { Namespace = name };

        Assert.StartsWith("$.namespace:", Assert.Single(policy.Validate()), StringComparison.Ordinal);
    }

    [Fact]
    public void Validation_reports_every_problem_at_once()
    {
        var policy = _owners.Build(owners: ["alice"], approvals: 2) with
        {
            Secrets = [],
            Chains = [new PolicyChain { Name = "c", Steps = ["ghost"] }],
            Functions =
            [
                new PolicyFunction { Name = "f", Measurements = [new MeasurementRule { Kind = EvidenceKind.Tdx, Hash = Policies.SgxHash }], Secrets = ["s"] },
                new PolicyFunction { Name = "f", Measurements = [new MeasurementRule { Kind = EvidenceKind.Sgx, Hash = Policies.SgxHash }] },
            ],
        };

        var e = Invalid(policy);

        Assert.Equal(5, e.Errors.Count);
        Assert.Contains(e.Errors, m => m.StartsWith("$.approvals:", StringComparison.Ordinal));
        Assert.Contains(e.Errors, m => m.StartsWith("$.functions[1].name: duplicate function 'f'", StringComparison.Ordinal));
        Assert.Contains(e.Errors, m => m.StartsWith("$.functions[0].measurements[0].hash: a tdx measurement is 48 bytes", StringComparison.Ordinal));
        Assert.Contains(e.Errors, m => m.Contains("undeclared secret 's'", StringComparison.Ordinal));
        Assert.Contains(e.Errors, m => m.Contains("unknown function 'ghost'", StringComparison.Ordinal));
        Assert.All(e.Errors, m => Assert.Contains(m, e.Message, StringComparison.Ordinal));
    }
}
