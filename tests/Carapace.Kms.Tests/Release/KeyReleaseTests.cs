using System.Security.Cryptography;
using System.Text;
using Carapace.Attestation;
using Carapace.Envelope.Keys;
using Carapace.Kms.Client.Audit;
using Carapace.Kms.Client.Policy;
using Carapace.Kms.Client.Release;
using Carapace.Kms.Tests.Support;

namespace Carapace.Kms.Tests.Release;

public sealed class KeyReleaseTests : IDisposable
{
    private static readonly byte[] s_sgx = Convert.FromHexString(Policies.SgxHash);
    private static readonly byte[] s_tdx = Convert.FromHexString(Policies.TdxHash);
    private static readonly byte[] s_signer = Convert.FromHexString(Policies.SgxSigner);
    private readonly KmsFixture _kms = new();

    public KeyReleaseTests()
    {
        SetPolicy(_kms.Owners.Build());
    }

    public void Dispose() => _kms.Dispose();

    private void SetPolicy(KmsPolicy policy)
    {
        _kms.Service.SetPolicy(_kms.Owners.Sign(policy, "alice"));
        if (policy.Secrets.Count > 0)
        {
            _kms.Service.PutSecret(policy.Namespace, "db-password", Encoding.UTF8.GetBytes("hunter2"));
        }
    }

    private Entitlement Decide(string function, AttestationResult result, string ns = "acme") =>
        _kms.Service.Releases.Decide(ns, function, result);

    private KmsDeniedException Denied(string function, AttestationResult result, string ns = "acme") =>
        Assert.Throws<KmsDeniedException>(() => Decide(function, result, ns));

    [Fact]
    public void An_exact_sgx_measurement_gets_the_functions_secrets_and_edge_keys()
    {
        using var entitlement = Decide("f", Attest.Sgx(s_sgx));

        Assert.Equal("hunter2", Encoding.UTF8.GetString(entitlement.Secret("db-password")!.Value));
        Assert.Equal([new ChainStep("pipeline", 1, 2)], entitlement.Steps);
        Assert.Equal(["pipeline 0->1", "pipeline 1->2", "pipeline 1->0"], entitlement.EdgeKeys.Select(k => $"{k.ChainId} {k.FromStep}->{k.ToStep}"));
        Assert.Equal(Policies.SgxHash, entitlement.Measurement);
        Assert.Equal(EvidenceKind.Sgx, entitlement.EvidenceKind);
    }

    [Fact]
    public void Edge_keys_come_from_the_namespaces_chain_master_derived_from_the_kms_master_key()
    {
        var kmsMaster = KeyFile.ReadSecret(Path.Combine(_kms.Dir.Kms, "master.key"), "carapace-kms-master-key-v1:", "KMS master key");
        var chainMaster = new byte[32];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, kmsMaster, chainMaster, [], Encoding.ASCII.GetBytes("carapace/kms/chain-master/v1acme"));
        using var expected = MasterKey.FromBytes(chainMaster);
        using var expectedIn = expected.Derive("pipeline", 1, 2);
        using var expectedOut = expected.Derive("pipeline", 2, 3);

        using var g = Decide("g", Attest.Sgx(Attest.Bytes(32, 9), s_signer, productId: 7, svn: 3));
        using var f = Decide("f", Attest.Sgx(s_sgx));

        Assert.Equal(expectedIn.Id, g.Edge("pipeline", 1, 2)!.Id);
        Assert.Equal(expectedOut.Id, g.Edge("pipeline", 2, 3)!.Id);
        // What f sends on 1 → 2 is what g receives on it.
        Assert.Equal(f.Edge("pipeline", 1, 2)!.Id, g.Edge("pipeline", 1, 2)!.Id);
    }

    [Fact]
    public void Another_namespace_with_the_same_chain_name_gets_other_keys()
    {
        SetPolicy(_kms.Owners.Build(ns: "other"));

        using var a = Decide("f", Attest.Sgx(s_sgx));
        using var b = Decide("f", Attest.Sgx(s_sgx), ns: "other");

        Assert.NotEqual(a.Edge("pipeline", 0, 1)!.Id, b.Edge("pipeline", 0, 1)!.Id);
    }

    [Fact]
    public void A_function_at_several_steps_gets_each_edge_once()
    {
        var policy = _kms.Owners.Build(version: 2) with
        {
            Chains = [new PolicyChain { Name = "loop", Steps = ["f", "f", "g"] }, new PolicyChain { Name = "solo", Steps = ["f"] }],
        };
        SetPolicy(policy);

        using var entitlement = Decide("f", Attest.Sgx(s_sgx));

        Assert.Equal([new ChainStep("loop", 1, 3), new ChainStep("loop", 2, 3), new ChainStep("solo", 1, 1)], entitlement.Steps);
        Assert.Equal(["loop 0->1", "loop 1->2", "loop 1->0", "loop 2->3", "loop 2->0", "solo 0->1", "solo 1->2", "solo 1->0"],
            entitlement.EdgeKeys.Select(k => $"{k.ChainId} {k.FromStep}->{k.ToStep}"));
    }

    [Fact]
    public void A_tdx_hash_rule_matches_tdx_evidence()
    {
        using var entitlement = Decide("g", Attest.Of(EvidenceKind.Tdx, s_tdx));

        Assert.Equal(EvidenceKind.Tdx, entitlement.EvidenceKind);
        Assert.Empty(entitlement.Secrets);
    }

    [Fact]
    public void A_measurement_differing_in_one_byte_is_not_in_policy()
    {
        var measurement = (byte[])s_sgx.Clone();
        measurement[31] ^= 1;

        var e = Denied("f", Attest.Sgx(measurement));

        Assert.Equal(KmsDenialReason.NotInPolicy, e.Reason);
        Assert.StartsWith($"attestation rejected: measurement {Convert.ToHexStringLower(measurement)} of function 'f' is not in policy of namespace 'acme'",
            e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(7, 3, true)]
    [InlineData(7, 9, true)]
    [InlineData(7, 2, false)]
    [InlineData(8, 3, false)]
    public void A_signer_rule_needs_the_signer_the_product_and_at_least_the_minimum_svn(int product, int svn, bool released)
    {
        var evidence = Attest.Sgx(Attest.Bytes(32, 0x77), s_signer, productId: (ushort)product, svn: (uint)svn);

        if (released)
        {
            Decide("g", evidence).Dispose();
        }
        else
        {
            Assert.Equal(KmsDenialReason.NotInPolicy, Denied("g", evidence).Reason);
        }
    }

    [Fact]
    public void A_signer_rule_refuses_another_signer()
    {
        var signer = (byte[])s_signer.Clone();
        signer[0] ^= 0x80;

        Assert.Equal(KmsDenialReason.NotInPolicy, Denied("g", Attest.Sgx(Attest.Bytes(32, 0x77), signer, productId: 7, svn: 5)).Reason);
    }

    [Fact]
    public void Evidence_of_another_kind_with_the_same_bytes_is_not_in_policy()
    {
        // The SGX hash of f presented as a (hypothetical) SNP report with a 32-byte measurement, and g's TDX hash as SNP.
        var e = Denied("f", Attest.Of(EvidenceKind.SevSnp, s_sgx));
        var g = Denied("g", Attest.Of(EvidenceKind.SevSnp, s_tdx));

        Assert.Equal(KmsDenialReason.NotInPolicy, e.Reason);
        Assert.Contains("the evidence is snp but policy v1 accepts only sgx evidence for it", e.Message, StringComparison.Ordinal);
        Assert.Contains("accepts only sgx, tdx evidence", g.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Simulation_evidence_is_denied_unless_the_policy_allows_simulation()
    {
        var sim = Attest.Sim(Convert.FromHexString(Policies.SimHash));

        var e = Denied("f", sim);
        SetPolicy(_kms.Owners.Build(version: 2, allowSimulation: true));
        using var entitlement = Decide("f", sim);

        Assert.Equal(KmsDenialReason.SimulationNotAllowed, e.Reason);
        Assert.Contains("does not set allowSimulation", e.Message, StringComparison.Ordinal);
        Assert.Equal(EvidenceKind.Simulation, entitlement.EvidenceKind);
    }

    [Fact]
    public void Simulation_evidence_never_matches_a_hardware_rule_even_with_the_same_bytes()
    {
        SetPolicy(_kms.Owners.Build(version: 2, allowSimulation: true));

        Assert.Equal(KmsDenialReason.NotInPolicy, Denied("f", Attest.Sim(s_sgx)).Reason);
    }

    [Fact]
    public void Evidence_marked_insecure_counts_as_simulation_whatever_its_kind()
    {
        Assert.Equal(KmsDenialReason.SimulationNotAllowed, Denied("f", Attest.Of(EvidenceKind.Sgx, s_sgx, insecure: true)).Reason);
    }

    [Fact]
    public void A_debug_enclave_is_denied_unless_the_function_allows_debug()
    {
        var debug = Attest.Sgx(s_sgx, debug: true);

        var e = Denied("f", debug);
        SetPolicy(_kms.Owners.Build(version: 2, allowDebug: true));
        Decide("f", debug).Dispose();

        Assert.Equal(KmsDenialReason.DebugNotAllowed, e.Reason);
        Assert.Contains("does not set allowDebug", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unverified_result_is_denied_with_the_verifiers_reason()
    {
        var e = Denied("f", Attest.Rejected(EvidenceKind.Sgx));

        Assert.Equal(KmsDenialReason.EvidenceNotVerified, e.Reason);
        Assert.Contains("the quote signature does not verify", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Ratls_evidence_is_matched_by_its_inner_evidence()
    {
        using var entitlement = Decide("f", Attest.RaTls(Attest.Sgx(s_sgx)));

        Assert.Equal(EvidenceKind.Sgx, entitlement.EvidenceKind);
    }

    [Fact]
    public void Ratls_evidence_with_unverified_or_missing_inner_evidence_is_denied()
    {
        var unverified = Denied("f", Attest.RaTls(Attest.Rejected(EvidenceKind.Sgx)));
        var missing = Denied("f", Attest.Of(EvidenceKind.RaTls, s_sgx));

        Assert.Equal(KmsDenialReason.EvidenceNotVerified, unverified.Reason);
        Assert.Equal(KmsDenialReason.EvidenceNotVerified, missing.Reason);
    }

    [Fact]
    public void Ratls_around_debug_inner_evidence_is_denied()
    {
        Assert.Equal(KmsDenialReason.DebugNotAllowed, Denied("f", Attest.RaTls(Attest.Sgx(s_sgx, debug: true))).Reason);
    }

    [Fact]
    public void An_unknown_namespace_or_function_is_denied()
    {
        Assert.Equal(KmsDenialReason.UnknownNamespace, Denied("f", Attest.Sgx(s_sgx), ns: "nobody").Reason);
        Assert.Equal(KmsDenialReason.UnknownFunction, Denied("h", Attest.Sgx(s_sgx)).Reason);
    }

    [Fact]
    public void A_granted_secret_without_a_value_is_denied()
    {
        _kms.Service.DeleteSecret("acme", "db-password");

        var e = Denied("f", Attest.Sgx(s_sgx));

        Assert.Equal(KmsDenialReason.SecretNotProvisioned, e.Reason);
    }

    [Fact]
    public void The_newest_secret_version_is_released()
    {
        _kms.Service.PutSecret("acme", "db-password", "v2"u8);

        using var entitlement = Decide("f", Attest.Sgx(s_sgx));

        Assert.Equal(2, entitlement.Secret("db-password")!.Version);
        Assert.Equal("v2"u8.ToArray(), entitlement.Secret("db-password")!.Value.ToArray());
    }

    [Fact]
    public void Decisions_are_audited_with_measurement_kind_and_reason()
    {
        Decide("f", Attest.Sgx(s_sgx)).Dispose();
        Denied("f", Attest.Of(EvidenceKind.Tdx, s_tdx));

        var records = _kms.Service.Audit.Read().Where(r => r.Kind is AuditKind.KeyReleased or AuditKind.ReleaseDenied).ToList();

        Assert.Equal([AuditKind.KeyReleased, AuditKind.ReleaseDenied], records.Select(r => r.Kind));
        Assert.Contains($"\"measurement\":\"{Policies.SgxHash}\"", records[0].Details, StringComparison.Ordinal);
        Assert.Contains("\"evidence\":\"sgx\"", records[0].Details, StringComparison.Ordinal);
        Assert.Contains("\"secrets\":[\"db-password v1\"]", records[0].Details, StringComparison.Ordinal);
        Assert.Contains("\"reason\":\"NotInPolicy\"", records[1].Details, StringComparison.Ordinal);
        Assert.Contains($"\"measurement\":\"{Policies.TdxHash}\"", records[1].Details, StringComparison.Ordinal);
        Assert.Equal("f", records[1].Subject);
    }

    [Fact]
    public void Dispose_zeroes_the_released_values_and_keys()
    {
        var entitlement = Decide("f", Attest.Sgx(s_sgx));
        var secret = entitlement.Secret("db-password")!;
        var key = entitlement.EdgeKeys[0];

        entitlement.Dispose();

        Assert.Throws<ObjectDisposedException>(() => secret.Value.Length);
        Assert.Throws<ObjectDisposedException>(() => key.CopyTo(new byte[32]));
    }
}
