using System.Security.Cryptography;
using Carapace.Attestation.ConfigFsTsm;
using Carapace.Attestation.Tee;
using Carapace.Attestation;
using Carapace.Kms.Client.Policy;
using Carapace.Kms.Client.Release;
using Carapace.Kms.Client;
using Carapace.Kms.Policy;
using Carapace.Kms.Release;
using Carapace.Kms.Server;
using Carapace.Kms.Tests.Support;

namespace Carapace.Kms.Tests.Tee;

/// <summary>
/// A KMS started on an (imitation) Intel TDX confidential VM, over HTTPS, and enclaves in the same VM attesting to it
/// through configfs-tsm: the VM's MRTD, TCB and debug state are checked by the namespace's policy, the function
/// measurement by the workload the quote binds. The test PKI is passed to both ends explicitly; nothing trusts it by default.
/// </summary>
public sealed class ConfidentialVmReleaseTests : IAsyncLifetime
{
    private static readonly byte[] Workload = SHA256.HashData("the function's measurement"u8);
    private readonly FakeTdxPlatform _tdx = new();
    private readonly Policies _owners = new();
    private readonly TempDir _dir = new();
    private FakeTsmTree _tree = null!;
    private TeeBackend _enclave = null!;
    private KmsServer _server = null!;
    private KmsClient _owner = null!;

    private ConfidentialVm Vm => new() { Kind = EvidenceKind.Tdx, LaunchMeasurement = FakeTdxPlatform.DefaultMrtdHex };

    private KmsServerTrust Trust => new()
    {
        Roots = _tdx.Anchors,
        DcapCollateral = _tdx.Collateral,
        ConfidentialVms = [Vm],
    };

    public async Task InitializeAsync()
    {
        _tree = FakeTsmTree.Tdx(_tdx);
        _enclave = TeeBackend.Hardware(TeeKind.Tdx, _tree.Root);
        _server = await KmsServer.StartAsync(new KmsServerOptions
        {
            DataDirectory = _dir.Path,
            Tee = TeeBackend.Hardware(TeeKind.Tdx, _tree.Root),
            Trust = new EvidenceTrust { Roots = _tdx.Anchors, DcapCollateral = _tdx.Collateral },
        });
        _owner = new KmsClient(_server.Endpoint, Trust);
        var policy = _owners.Build() with
        {
            ConfidentialVms = [Vm],
            Functions = [new PolicyFunction
            {
                Name = "f",
                Measurements = [new MeasurementRule { Kind = EvidenceKind.Tdx, Workload = Convert.ToHexStringLower(Workload) }],
                Secrets = ["db-password"],
            }],
            Chains = [new PolicyChain { Name = "f", Steps = ["f"] }],
        };
        await _owner.SetPolicyAsync(_owners.Sign(policy, "alice"));
        await _owner.PutSecretAsync("acme", "db-password", "hunter2"u8.ToArray(), _owners.Owner("alice"), "alice");
    }

    public async Task DisposeAsync()
    {
        _owner.Dispose();
        await _server.DisposeAsync();
        _enclave.Dispose();
        _tree.Dispose();
        _owners.Dispose();
        _tdx.Dispose();
        _dir.Dispose();
    }

    private async Task<Entitlement> ReleaseAsync(IEvidenceIssuer? issuer = null)
    {
        using var client = new KmsClient(_server.Endpoint, Trust);
        return await client.AttestAndReleaseAsync("acme", "f", issuer ?? _enclave.IssuerFor(Workload));
    }

    private async Task<KmsDeniedException> DeniedAsync(IEvidenceIssuer? issuer = null) =>
        await Assert.ThrowsAsync<KmsDeniedException>(() => ReleaseAsync(issuer));

    [Fact]
    public async Task An_enclave_in_a_trusted_up_to_date_VM_gets_its_keys_and_the_release_is_audited()
    {
        using var entitlement = await ReleaseAsync();

        Assert.Equal(EvidenceKind.Tdx, entitlement.EvidenceKind);
        Assert.Equal(Convert.ToHexStringLower(Workload), entitlement.Measurement);
        Assert.Equal("hunter2"u8.ToArray(), entitlement.Secret("db-password")!.Value.ToArray());
        Assert.NotNull(entitlement.Edge("f", 0, 1));
        var record = (await _owner.GetAuditAsync("acme", _owners.Owner("alice"), "alice"))[^1];
        Assert.Contains("\"evidence\":\"ratls/tdx\"", record.Details, StringComparison.Ordinal);
        Assert.Contains($"\"launchMeasurement\":\"{FakeTdxPlatform.DefaultMrtdHex}\"", record.Details, StringComparison.Ordinal);
        Assert.Equal(TeeKind.Tdx, _server.Tee);
        Assert.True(_server.QuotingKey.IsEmpty);
    }

    [Fact]
    public async Task A_quote_with_other_report_data_gets_nothing()
    {
        var liar = new WorkloadEvidenceIssuer(new ReportDataFlipper(new ConfigFsTsmIssuer(_tree.Root)), Workload);

        var denied = await DeniedAsync(liar);

        Assert.Equal(KmsDenialReason.EvidenceNotVerified, denied.Reason);
        Assert.Contains("ReportDataMismatch", denied.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_debug_VM_gets_nothing()
    {
        _tdx.Debug = true;

        var denied = await DeniedAsync();

        Assert.Equal(KmsDenialReason.DebugNotAllowed, denied.Reason);
        Assert.StartsWith("attestation rejected: function 'f' runs in a debug enclave", denied.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_VM_with_an_unlisted_MRTD_gets_nothing()
    {
        _tdx.Mrtd = [.. Enumerable.Repeat((byte)0x99, 48)];

        var denied = await DeniedAsync();

        Assert.Equal(KmsDenialReason.UntrustedVm, denied.Reason);
        Assert.Equal("attestation rejected: function 'f' runs in a confidential VM that policy v1 of namespace 'acme' does not trust: "
            + $"its VM's launch measurement (MRTD) {new string('9', 96)} is not one of the 1 trusted tdx VM image(s)", denied.Message);
    }

    [Fact]
    public async Task A_VM_on_an_out_of_date_TCB_gets_nothing()
    {
        _tdx.OutOfDate = true;

        var denied = await DeniedAsync();

        Assert.Equal(KmsDenialReason.TcbNotAccepted, denied.Reason);
        Assert.EndsWith("its TDX platform's TCB status is OutOfDate; the trusted VM image accepts UpToDate", denied.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Another_function_measurement_in_a_trusted_VM_gets_nothing()
    {
        var other = SHA256.HashData("other code"u8);

        var denied = await DeniedAsync(_enclave.IssuerFor(other));

        Assert.Equal(KmsDenialReason.NotInPolicy, denied.Reason);
        Assert.Equal($"attestation rejected: measurement {Convert.ToHexStringLower(other)} of function 'f' is not in policy of namespace 'acme' (no tdx workload rule of policy v1 matches it)",
            denied.Message);
    }

    [Fact]
    public async Task A_KMS_on_hardware_refuses_simulation_evidence_whatever_the_policy_says()
    {
        var policy = _owners.Build(version: 2, allowSimulation: true) with
        {
            ConfidentialVms = [Vm],
        };
        await _owner.SetPolicyAsync(_owners.Sign(policy, "alice"));
        using var simulation = TeeBackend.EphemeralSimulation();

        var denied = await DeniedAsync(simulation.IssuerFor(Convert.FromHexString(Policies.SimHash)));

        Assert.Equal(KmsDenialReason.SimulationNotAllowed, denied.Reason);
        Assert.Contains("this KMS trusts no simulation quoting key: it runs in a TEE", denied.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_refuses_a_KMS_in_a_VM_it_does_not_trust_and_one_of_another_build()
    {
        var elsewhere = new KmsServerTrust
        {
            Roots = _tdx.Anchors,
            DcapCollateral = _tdx.Collateral,
            ConfidentialVms = [Vm with { LaunchMeasurement = new string('1', 96) }],
        };
        using var wrongVm = new KmsClient(_server.Endpoint, elsewhere);
        using var wrongBuild = new KmsClient(_server.Endpoint, new KmsServerTrust
        {
            Roots = _tdx.Anchors,
            DcapCollateral = _tdx.Collateral,
            ConfidentialVms = [Vm],
            ExpectedMeasurement = SHA256.HashData("another KMS"u8),
        });
        using var builtInRoots = new KmsClient(_server.Endpoint, new KmsServerTrust { ConfidentialVms = [Vm] });

        var vm = await Assert.ThrowsAsync<KmsTrustException>(() => wrongVm.NewNonceAsync());
        var build = await Assert.ThrowsAsync<KmsTrustException>(() => wrongBuild.NewNonceAsync());
        var roots = await Assert.ThrowsAsync<KmsTrustException>(() => builtInRoots.NewNonceAsync());

        Assert.Contains("runs in a confidential VM this client does not trust: its VM's launch measurement (MRTD)", vm.Message, StringComparison.Ordinal);
        Assert.Contains("not the expected KMS measurement", build.Message, StringComparison.Ordinal);
        Assert.Contains("BrokenChain", roots.Message, StringComparison.Ordinal);
    }

    /// <summary>Gets a quote over other report data than asked: a relayed or substituted quote.</summary>
    private sealed class ReportDataFlipper(IEvidenceIssuer hardware) : IEvidenceIssuer
    {
        public EvidenceKind Kind => hardware.Kind;

        public ValueTask<Evidence> IssueAsync(ReadOnlyMemory<byte> reportData, CancellationToken cancellationToken = default)
        {
            var other = reportData.ToArray();
            other[5] ^= 0x40;
            return hardware.IssueAsync(other, cancellationToken);
        }
    }
}
