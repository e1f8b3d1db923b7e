using System.Security.Cryptography;
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

/// <summary>The same on an (imitation) AMD SEV-SNP VM: reports carry their VCEK; the policy sets the minimum TCB.</summary>
public sealed class SnpReleaseTests : IAsyncLifetime
{
    private static readonly byte[] Workload = SHA256.HashData("snp function"u8);
    private readonly FakeSnpPlatform _snp = new();
    private readonly Policies _owners = new();
    private readonly TempDir _dir = new();
    private FakeTsmTree _tree = null!;
    private TeeBackend _enclave = null!;
    private KmsServer _server = null!;
    private KmsClient _owner = null!;

    private static ConfidentialVm Vm(int microcode = 115) => new()
    {
        Kind = EvidenceKind.SevSnp,
        LaunchMeasurement = FakeSnpPlatform.DefaultMeasurementHex,
        MinTcb = new SnpMinimumTcb(3, 0, 8, microcode),
    };

    private KmsServerTrust Trust => new() { Roots = TrustAnchors.Custom([_snp.Chain.Ark]), ConfidentialVms = [Vm()] };

    public async Task InitializeAsync()
    {
        _tree = FakeTsmTree.Snp(_snp);
        _enclave = TeeBackend.Hardware(TeeKind.Snp, _tree.Root);
        _server = await KmsServer.StartAsync(new KmsServerOptions
        {
            DataDirectory = _dir.Path,
            Tee = TeeBackend.Hardware(TeeKind.Snp, _tree.Root),
            Trust = new EvidenceTrust { Roots = TrustAnchors.Custom([_snp.Chain.Ark]) },
        });
        _owner = new KmsClient(_server.Endpoint, Trust);
        await SetPolicyAsync(1, Vm());
    }

    private async Task SetPolicyAsync(ulong version, ConfidentialVm vm)
    {
        var policy = _owners.Build(version: version) with
        {
            ConfidentialVms = [vm],
            Functions = [new PolicyFunction { Name = "f", Measurements = [new MeasurementRule { Kind = EvidenceKind.SevSnp, Workload = Convert.ToHexStringLower(Workload) }] }],
            Secrets = [],
            Chains = [],
        };
        await _owner.SetPolicyAsync(_owners.Sign(policy, "alice"));
    }

    public async Task DisposeAsync()
    {
        _owner.Dispose();
        await _server.DisposeAsync();
        _enclave.Dispose();
        _tree.Dispose();
        _owners.Dispose();
        _snp.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task An_enclave_in_a_trusted_SNP_VM_at_the_minimum_TCB_gets_its_keys()
    {
        using var client = new KmsClient(_server.Endpoint, Trust);

        using var entitlement = await client.AttestAndReleaseAsync("acme", "f", _enclave.IssuerFor(Workload));

        Assert.Equal(EvidenceKind.SevSnp, entitlement.EvidenceKind);
        Assert.Equal(Convert.ToHexStringLower(Workload), entitlement.Measurement);
    }

    [Fact]
    public async Task A_platform_below_the_policy_s_minimum_TCB_and_a_debug_guest_get_nothing()
    {
        await SetPolicyAsync(2, Vm(microcode: 200));
        using var client = new KmsClient(_server.Endpoint, Trust);

        var old = await Assert.ThrowsAsync<KmsDeniedException>(() => client.AttestAndReleaseAsync("acme", "f", _enclave.IssuerFor(Workload)));
        await SetPolicyAsync(3, Vm());
        _snp.Debug = true;
        var debug = await Assert.ThrowsAsync<KmsDeniedException>(() => client.AttestAndReleaseAsync("acme", "f", _enclave.IssuerFor(Workload)));

        Assert.Equal(KmsDenialReason.TcbNotAccepted, old.Reason);
        Assert.Contains("is below the trusted VM image's minimum (bootloader 3, tee 0, snp 8, microcode 200)", old.Message, StringComparison.Ordinal);
        Assert.Equal(KmsDenialReason.DebugNotAllowed, debug.Reason);
    }
}
