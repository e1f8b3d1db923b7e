using System.Text.Json.Nodes;
using Carapace.Attestation.Tee;
using Carapace.Attestation;
using Carapace.Kms.Client.Policy;
using Carapace.Kms.Policy;
using Carapace.Kms.Tests.Support;

namespace Carapace.Kms.Tests.Tee;

/// <summary>The policy's confidential VMs and workload rules: versioned additions that old policies need not know about.</summary>
public sealed class ConfidentialVmPolicyTests : IDisposable
{
    private static readonly string Workload = Attest.Hex(32, 0x44);
    private readonly Policies _owners = new();

    public void Dispose() => _owners.Dispose();

    private KmsPolicy WithVm() => _owners.Build() with
    {
        ConfidentialVms = [new ConfidentialVm { Kind = EvidenceKind.Tdx, LaunchMeasurement = FakeTdxPlatform.DefaultMrtdHex }],
        Functions = [.. _owners.Build().Functions.Select(f => f.Name == "f"
            ? f with { Measurements = [.. f.Measurements, new MeasurementRule { Kind = EvidenceKind.Tdx, Workload = Workload }] }
            : f)],
    };

    [Fact]
    public void A_policy_without_confidential_VMs_keeps_its_exact_JSON()
    {
        var json = _owners.Build().ToJson();

        Assert.DoesNotContain("confidentialVms", json, StringComparison.Ordinal);
        Assert.DoesNotContain("workload", json, StringComparison.Ordinal);
        Assert.Equal(json, KmsPolicy.Parse(json).ToJson());
        Assert.Empty(KmsPolicy.Parse(json).ConfidentialVms);
    }

    [Fact]
    public void Confidential_VMs_and_workload_rules_round_trip()
    {
        var policy = WithVm();

        var parsed = KmsPolicy.Parse(policy.ToJson());

        Assert.Equal(policy.ToJson(), parsed.ToJson());
        Assert.Equal(FakeTdxPlatform.DefaultMrtdHex, Assert.Single(parsed.ConfidentialVms).LaunchMeasurement);
        var rule = parsed.FindFunction("f")!.Measurements.Single(m => m.IsWorkloadRule);
        Assert.Equal(Workload, rule.Workload);
        Assert.Equal(EvidenceKind.Tdx, rule.Kind);
        Assert.Contains("\"confidentialVms\": [", policy.ToJson(), StringComparison.Ordinal);
    }

    [Fact]
    public void Every_problem_of_confidential_VMs_and_workload_rules_is_reported()
    {
        var policy = _owners.Build() with
        {
            ConfidentialVms =
            [
                new ConfidentialVm { Kind = EvidenceKind.SevSnp, LaunchMeasurement = "zz" },
                new ConfidentialVm { Kind = EvidenceKind.Tdx, LaunchMeasurement = FakeTdxPlatform.DefaultMrtdHex },
                new ConfidentialVm { Kind = EvidenceKind.Tdx, LaunchMeasurement = FakeTdxPlatform.DefaultMrtdHex },
            ],
            Functions =
            [
                new PolicyFunction
                {
                    Name = "f",
                    Measurements =
                    [
                        new MeasurementRule { Kind = EvidenceKind.Sgx, Workload = Workload },
                        new MeasurementRule { Kind = EvidenceKind.Tdx, Workload = "abc" },
                        new MeasurementRule { Kind = EvidenceKind.Tdx, Workload = Workload, Hash = Policies.TdxHash },
                    ],
                    Secrets = ["db-password"],
                },
                new PolicyFunction { Name = "g", Measurements = [new MeasurementRule { Kind = EvidenceKind.Tdx, Hash = Policies.TdxHash }] },
            ],
        };

        var errors = policy.Validate();

        Assert.Equal(
        [
            "$.functions[0].measurements[0]: workload rules are for tdx and snp (a function inside a confidential VM); sgx evidence measures the code itself, use 'hash'",
            "$.functions[0].measurements[1].workload: a Carapace function measurement is 32 bytes (64 hex digits); got 3 hex digits",
            "$.functions[0].measurements[2]: a rule has exactly one of 'hash', 'workload', or 'signer' with 'productId' and 'minSvn'",
            "$.confidentialVms[0].launchMeasurement: a launch measurement is 48 bytes (96 hex digits); got 2 characters that are not all hex digits",
            "$.confidentialVms[0].minTcb: an snp VM needs the lowest accepted REPORTED_TCB, {\"bootLoader\", \"tee\", \"snp\", \"microcode\"}",
            "$.confidentialVms[2]: the same VM rule as $.confidentialVms[1]",
        ], errors);
    }

    [Fact]
    public void A_workload_rule_without_a_trusted_VM_of_its_kind_can_never_match()
    {
        var policy = WithVm() with { ConfidentialVms = [] };

        var e = Assert.Throws<PolicyException>(() => KmsPolicy.Parse(policy.ToJson()));

        Assert.Equal(PolicyRejection.Invalid, e.Reason);
        Assert.Contains("$.functions[0].measurements[1]: a tdx workload rule can never match while confidentialVms names no tdx VM image; add the trusted image under $.confidentialVms",
            e.Errors);
    }

    [Fact]
    public void Malformed_confidential_VMs_are_reported_with_their_paths()
    {
        var json = JsonNode.Parse(WithVm().ToJson())!.AsObject();
        json["confidentialVms"] = JsonNode.Parse("""[{"kind": "tdx", "launchMeasurement": "00", "colour": 1}, {"kind": "tpm"}]""");
        json["functions"]![0]!["measurements"]!.AsArray().Add(JsonNode.Parse("""{"kind": "tdx", "workload": 7}"""));

        var e = Assert.Throws<PolicyException>(() => KmsPolicy.Parse(json.ToJsonString()));

        Assert.Equal(PolicyRejection.Malformed, e.Reason);
        Assert.Contains("$.confidentialVms[0].colour: unknown field (allowed: kind, launchMeasurement, rtmrs, tcbStatuses, minTcb)", e.Errors);
        Assert.Contains("$.confidentialVms[1].kind: 'tpm' is not tdx or snp", e.Errors);
        Assert.Contains("$.confidentialVms[1].launchMeasurement: is required", e.Errors);
        Assert.Contains(e.Errors, m => m.StartsWith("$.functions[0].measurements[2].workload:", StringComparison.Ordinal));
    }

    [Fact]
    public void More_than_64_confidential_VMs_are_refused()
    {
        var vms = Enumerable.Range(0, PolicyLimits.MaxConfidentialVms + 1)
            .Select(i => new ConfidentialVm { Kind = EvidenceKind.Tdx, LaunchMeasurement = Attest.Hex(48, (byte)i) }).ToList();

        var errors = (WithVm() with { ConfidentialVms = vms }).Validate();

        Assert.Equal(["$.confidentialVms: 65 confidential VM images; a policy may have at most 64"], errors);
    }
}
