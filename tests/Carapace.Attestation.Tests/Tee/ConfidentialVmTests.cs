using System.Text;
using System.Text.Json;
using Carapace.Attestation.RaTls;
using Carapace.Attestation.Tee;

namespace Carapace.Attestation.Tests.Tee;

public sealed class ConfidentialVmTests : IDisposable
{
    private static readonly string Mrtd = FakeTdxPlatform.DefaultMrtdHex;
    private readonly FakeTdxPlatform _tdx = new();
    private readonly FakeTsmTree _tree;
    private readonly TeeBackend _backend;

    public ConfidentialVmTests()
    {
        _tree = FakeTsmTree.Tdx(_tdx);
        _backend = TeeBackend.Hardware(TeeKind.Tdx, _tree.Root);
    }

    private static ConfidentialVm Tdx(string? mrtd = null, IReadOnlyList<string?>? rtmrs = null, IReadOnlyList<TcbStatus>? statuses = null) =>
        new() { Kind = EvidenceKind.Tdx, LaunchMeasurement = mrtd ?? Mrtd, Rtmrs = rtmrs ?? [], TcbStatuses = statuses };

    [Fact]
    public async Task A_listed_up_to_date_VM_is_accepted()
    {
        var verdict = ConfidentialVm.Evaluate([Tdx(new string('1', 96)), Tdx()], await QuoteAsync());

        Assert.True(verdict.Accepted, verdict.Message);
        Assert.Equal(Mrtd, verdict.Matched!.LaunchMeasurement);
    }

    [Fact]
    public async Task An_unlisted_MRTD_is_refused_naming_it()
    {
        _tdx.Mrtd = [.. Enumerable.Repeat((byte)0x11, 48)];

        var verdict = ConfidentialVm.Evaluate([Tdx()], await QuoteAsync());

        Assert.Equal(VmRefusal.NotListed, verdict.Refusal);
        Assert.Equal($"its VM's launch measurement (MRTD) {new string('1', 96)} is not one of the 1 trusted tdx VM image(s)", verdict.Message);
    }

    [Fact]
    public async Task An_out_of_date_TCB_is_refused_unless_the_rule_accepts_it()
    {
        _tdx.OutOfDate = true;
        var evidence = await QuoteAsync();

        var strict = ConfidentialVm.Evaluate([Tdx()], evidence);
        var lenient = ConfidentialVm.Evaluate([Tdx(statuses: [TcbStatus.UpToDate, TcbStatus.OutOfDate])], evidence);

        Assert.Equal(TcbStatus.OutOfDate, evidence.TcbStatus);
        Assert.Equal(VmRefusal.TcbNotAccepted, strict.Refusal);
        Assert.Equal("its TDX platform's TCB status is OutOfDate; the trusted VM image accepts UpToDate", strict.Message);
        Assert.True(lenient.Accepted);
    }

    [Fact]
    public async Task Evidence_checked_without_collateral_has_no_acceptable_TCB()
    {
        var verdict = ConfidentialVm.Evaluate([Tdx()], await QuoteAsync(collateral: false));

        Assert.Equal(VmRefusal.TcbNotAccepted, verdict.Refusal);
        Assert.Contains("TCB status is Unknown (it was not evaluated: the verifier has no Intel collateral", verdict.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RTMRs_are_compared_where_the_rule_names_them()
    {
        var evidence = await QuoteAsync();
        var rtmr2 = Convert.ToHexStringLower(evidence.Claims.Single(c => c.Name == "rtmr2").Bytes!);

        var matching = ConfidentialVm.Evaluate([Tdx(rtmrs: [null, null, rtmr2, null])], evidence);
        var other = ConfidentialVm.Evaluate([Tdx(rtmrs: [null, null, new string('e', 96), null])], evidence);

        Assert.True(matching.Accepted, matching.Message);
        Assert.Equal(VmRefusal.NotListed, other.Refusal);
        Assert.StartsWith($"its RTMR2 is {rtmr2}, not the trusted VM image's {new string('e', 96)}", other.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_VM_of_the_kind_means_no_trust()
    {
        var snpOnly = new ConfidentialVm { Kind = EvidenceKind.SevSnp, LaunchMeasurement = Mrtd, MinTcb = new SnpMinimumTcb(0, 0, 0, 0) };

        var verdict = ConfidentialVm.Evaluate([snpOnly], await QuoteAsync());

        Assert.Equal($"it runs in a tdx confidential VM (MRTD {Mrtd}), and no tdx VM is trusted", verdict.Message);
    }

    [Fact]
    public async Task An_SNP_VM_below_the_minimum_TCB_is_refused()
    {
        using var snp = new FakeSnpPlatform();
        using var tree = FakeTsmTree.Snp(snp);
        using var backend = TeeBackend.Hardware(TeeKind.Snp, tree.Root);
        var evidence = await backend.IssuerFor(new byte[32]).IssueAsync(new byte[64]);
        var result = EvidenceVerifiers.CreateDefault().Verify(EvidenceKind.SevSnp, evidence.Bytes, new VerificationOptions { Roots = TrustAnchors.Custom([snp.Chain.Ark]) });
        ConfidentialVm Rule(int microcode) => new()
        {
            Kind = EvidenceKind.SevSnp,
            LaunchMeasurement = FakeSnpPlatform.DefaultMeasurementHex,
            MinTcb = new SnpMinimumTcb(3, 0, 8, microcode),
        };

        var current = ConfidentialVm.Evaluate([Rule(115)], result);
        var newer = ConfidentialVm.Evaluate([Rule(116)], result);

        Assert.True(current.Accepted, current.Message);
        Assert.Equal(VmRefusal.TcbNotAccepted, newer.Refusal);
        Assert.StartsWith("its REPORTED_TCB (bootloader 3, tee 0, snp 8, microcode 115", newer.Message, StringComparison.Ordinal);
        Assert.EndsWith("is below the trusted VM image's minimum (bootloader 3, tee 0, snp 8, microcode 116)", newer.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_lists_every_problem()
    {
        var tdx = new ConfidentialVm
        {
            Kind = EvidenceKind.Tdx,
            LaunchMeasurement = "abc",
            Rtmrs = ["xyz", null],
            TcbStatuses = [TcbStatus.Unknown],
            MinTcb = new SnpMinimumTcb(1, 1, 1, 1),
        };
        var snp = new ConfidentialVm { Kind = EvidenceKind.SevSnp, LaunchMeasurement = Mrtd, Rtmrs = [null, null, null, null], TcbStatuses = [TcbStatus.UpToDate] };
        var sgx = new ConfidentialVm { Kind = EvidenceKind.Sgx, LaunchMeasurement = Mrtd };

        Assert.Equal(
        [
            "$.vms[0].launchMeasurement: a launch measurement is 48 bytes (96 hex digits); got 3 characters",
            "$.vms[0].rtmrs: give all four RTMRs (null for any value), not 2",
            "$.vms[0].rtmrs[0]: RTMR0 is 48 bytes (96 hex digits); got 3 characters that are not all hex digits",
            "$.vms[0].tcbStatuses: Unknown cannot be accepted (a TDX platform's TCB must be evaluated against Intel's collateral, and a revoked one never passes)",
            "$.vms[0].minTcb: is for snp VMs; a tdx VM's TCB is judged by tcbStatuses",
        ], tdx.Validate("$.vms[0]"));
        Assert.Equal(
        [
            "x.rtmrs: RTMRs exist only in tdx VMs",
            "x.tcbStatuses: is for tdx VMs; an snp VM's TCB is judged by minTcb (AMD publishes no TCB statuses)",
            "x.minTcb: an snp VM needs the lowest accepted REPORTED_TCB, {\"bootLoader\", \"tee\", \"snp\", \"microcode\"}",
        ], snp.Validate("x"));
        Assert.Equal(["y.kind: a confidential VM is tdx or snp, not sgx"], sgx.Validate("y"));
    }

    [Fact]
    public void Json_round_trips_and_unknown_fields_are_errors()
    {
        var rule = new ConfidentialVm { Kind = EvidenceKind.Tdx, LaunchMeasurement = Mrtd, Rtmrs = [null, Mrtd, null, null], TcbStatuses = [TcbStatus.UpToDate, TcbStatus.SWHardeningNeeded] };
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            rule.WriteTo(writer);
        }

        var errors = new List<string>();
        using var document = JsonDocument.Parse(buffer.ToArray());
        var read = ConfidentialVm.Read(document.RootElement, "$", errors);
        using var bad = JsonDocument.Parse("""{"kind": "sgx", "launchMeasurement": 7, "colour": "red", "tcbStatuses": ["Great"], "minTcb": {"tee": 300}}""");
        var badErrors = new List<string>();

        Assert.Empty(errors);
        Assert.Equal(rule.ToString(), read!.ToString());
        Assert.Null(ConfidentialVm.Read(bad.RootElement, "$.vms[3]", badErrors));
        Assert.Equal(["$.vms[3].colour: unknown field (allowed: kind, launchMeasurement, rtmrs, tcbStatuses, minTcb)"], badErrors);
        using var typed = JsonDocument.Parse("""{"kind": "sgx", "launchMeasurement": 7, "tcbStatuses": ["Great", 3], "minTcb": {"tee": 300}}""");
        badErrors.Clear();
        Assert.Null(ConfidentialVm.Read(typed.RootElement, "$", badErrors));
        Assert.Equal(
        [
            "$.kind: 'sgx' is not tdx or snp",
            "$.launchMeasurement: must be a string",
            "$.tcbStatuses[0]: 'Great' is not a TCB status (UpToDate, SWHardeningNeeded, ConfigurationNeeded, ConfigurationAndSWHardeningNeeded, OutOfDate, OutOfDateConfigurationNeeded)",
            "$.tcbStatuses[1]: '3' is not a TCB status (UpToDate, SWHardeningNeeded, ConfigurationNeeded, ConfigurationAndSWHardeningNeeded, OutOfDate, OutOfDateConfigurationNeeded)",
            "$.minTcb.bootLoader: is required",
            "$.minTcb.tee: must be a whole number from 0 to 255",
            "$.minTcb.snp: is required",
            "$.minTcb.microcode: is required",
        ], badErrors);
    }

    public void Dispose()
    {
        _backend.Dispose();
        _tree.Dispose();
        _tdx.Dispose();
    }

    private async Task<AttestationResult> QuoteAsync(bool collateral = true)
    {
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        using var certificate = await RaTlsCertificateFactory.CreateAsync(key, _backend.IssuerFor(new byte[32]), Encoding.ASCII.GetBytes("n"), "x", TimeSpan.FromMinutes(1));
        var result = EvidenceVerifiers.CreateDefault().Verify(EvidenceKind.RaTls, certificate.RawData,
            new VerificationOptions { Roots = _tdx.Anchors, DcapCollateral = collateral ? _tdx.Collateral : null });
        Assert.True(result.Verified, result.ToString());
        return result.Inner!;
    }
}
