using Carapace.Attestation.ConfigFsTsm;

namespace Carapace.Attestation.Tests.ConfigFsTsm;

public sealed class ConfigFsTsmIssuerTests
{
    private static readonly byte[] _reportDataValue = ReportData.Bind("enclave key"u8, "nonce"u8);

    [Fact]
    public async Task IssueAsync_on_this_machine_without_a_TEE_fails_with_NoHardware()
    {
        // This test describes the development machine (no TDX/SEV-SNP guest); on a confidential VM it has nothing to say.
        if (ConfigFsTsmIssuer.IsAvailable())
        {
            return;
        }

        var issuer = new ConfigFsTsmIssuer();

        var e = await Assert.ThrowsAsync<AttestationException>(() => issuer.IssueAsync(_reportDataValue).AsTask());
        Assert.Equal(AttestationFailureReason.NoHardware, e.Reason);
        Assert.StartsWith("no TEE attestation interface: /sys/kernel/config/tsm/report does not exist (this machine has no TDX/SEV-SNP guest support); use simulation mode", e.Message, StringComparison.Ordinal);
        Assert.Equal(AttestationFailureReason.NoHardware, Assert.Throws<AttestationException>(() => issuer.Kind).Reason);
    }

    [Fact]
    public void IsAvailable_is_false_for_a_directory_that_does_not_exist() =>
        Assert.False(ConfigFsTsmIssuer.IsAvailable(Path.Combine(Path.GetTempPath(), "no-such-tsm-" + Guid.NewGuid().ToString("N"))));

    [Fact]
    public async Task IssueAsync_reads_a_TDX_quote_for_the_report_data_and_removes_its_entry()
    {
        using var tsm = new FakeTsm("tdx_guest");
        var issuer = new ConfigFsTsmIssuer(tsm.Root, null, tsm);

        var evidence = await issuer.IssueAsync(_reportDataValue);

        Assert.Equal(EvidenceKind.Tdx, evidence.Kind);
        Assert.Equal(tsm.Report(_reportDataValue), evidence.Bytes.ToArray());
        Assert.Equal(_reportDataValue, tsm.Written["inblob"]);
        Assert.Single(tsm.Created);
        Assert.Equal(tsm.Created, tsm.Removed);
        Assert.Empty(Directory.GetFileSystemEntries(tsm.Root));
        Assert.Equal(EvidenceKind.Tdx, issuer.Kind);
        Assert.Single(tsm.Created);
    }

    [Fact]
    public async Task GetReportAsync_returns_the_SNP_report_with_its_auxiliary_certificates_and_privilege_level()
    {
        using var tsm = new FakeTsm("sev_guest") { WithPrivilegeLevel = true, WithAuxBlob = true };
        var issuer = new ConfigFsTsmIssuer(tsm.Root, 2, tsm);

        var report = await issuer.GetReportAsync(_reportDataValue);

        Assert.Equal(EvidenceKind.SevSnp, report.Kind);
        Assert.Equal("sev_guest", report.Provider);
        Assert.Equal(1184, report.OutBlob.Length);
        Assert.Equal(new byte[] { 0xAA, 0xBB, 0xCC }, report.AuxBlob.ToArray());
        Assert.Equal(2UL, report.Generation);
        Assert.Equal("2"u8.ToArray(), tsm.Written["privlevel"]);
    }

    [Fact]
    public async Task A_privilege_level_the_provider_does_not_offer_is_unsupported()
    {
        using var tsm = new FakeTsm("tdx_guest");
        var issuer = new ConfigFsTsmIssuer(tsm.Root, 1, tsm);

        var e = await Assert.ThrowsAsync<AttestationException>(() => issuer.IssueAsync(_reportDataValue).AsTask());

        Assert.Equal(AttestationFailureReason.UnsupportedVersion, e.Reason);
        Assert.Equal(tsm.Created, tsm.Removed);
    }

    [Fact]
    public async Task A_foreign_write_to_the_entry_is_detected_and_the_request_retried_with_a_new_entry()
    {
        using var tsm = new FakeTsm("tdx_guest");
        tsm.ForeignWrites.Enqueue(1);
        var issuer = new ConfigFsTsmIssuer(tsm.Root, null, tsm);

        var evidence = await issuer.IssueAsync(_reportDataValue);

        Assert.Equal(tsm.Report(_reportDataValue), evidence.Bytes.ToArray());
        Assert.Equal(2, tsm.Created.Count);
        Assert.NotEqual(tsm.Created[0], tsm.Created[1]);
        Assert.Equal(tsm.Created, tsm.Removed);
    }

    [Fact]
    public async Task Persistent_foreign_writes_give_up_after_the_bounded_number_of_attempts()
    {
        using var tsm = new FakeTsm("sev_guest");
        for (var i = 0; i < ConfigFsTsmIssuer.MaxAttempts; i++)
        {
            tsm.ForeignWrites.Enqueue(3);
        }

        var issuer = new ConfigFsTsmIssuer(tsm.Root, null, tsm);

        var e = await Assert.ThrowsAsync<AttestationException>(() => issuer.IssueAsync(_reportDataValue).AsTask());

        Assert.Contains("generation went from 0 to 4", e.Message, StringComparison.Ordinal);
        Assert.Equal(ConfigFsTsmIssuer.MaxAttempts, tsm.Created.Count);
        Assert.Equal(tsm.Created, tsm.Removed);
        Assert.Empty(Directory.GetFileSystemEntries(tsm.Root));
    }

    [Fact]
    public async Task An_outblob_for_other_report_data_is_rejected()
    {
        using var tsm = new FakeTsm("tdx_guest") { ForcedReportData = new byte[64] };
        var issuer = new ConfigFsTsmIssuer(tsm.Root, null, tsm);

        var e = await Assert.ThrowsAsync<AttestationException>(() => issuer.IssueAsync(_reportDataValue).AsTask());

        Assert.Equal(AttestationFailureReason.ReportDataMismatch, e.Reason);
    }

    [Fact]
    public async Task An_unknown_provider_is_unsupported()
    {
        using var tsm = new FakeTsm("arm_cca_guest");
        var issuer = new ConfigFsTsmIssuer(tsm.Root, null, tsm);

        var e = await Assert.ThrowsAsync<AttestationException>(() => issuer.IssueAsync(_reportDataValue).AsTask());

        Assert.Equal(AttestationFailureReason.UnsupportedVersion, e.Reason);
        Assert.Contains("arm_cca_guest", e.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(tsm.Root));
    }

    [Fact]
    public async Task Permission_denied_on_the_report_directory_is_reported_as_NoHardware()
    {
        using var tsm = new DeniedTsm();
        var issuer = new ConfigFsTsmIssuer(tsm.Root, null, tsm);

        var e = await Assert.ThrowsAsync<AttestationException>(() => issuer.IssueAsync(_reportDataValue).AsTask());

        Assert.Equal(AttestationFailureReason.NoHardware, e.Reason);
        Assert.Contains("cannot create a configfs-tsm report entry", e.Message, StringComparison.Ordinal);
        Assert.Contains("root", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreadable_outblob_is_reported_as_NoHardware_and_the_entry_is_removed()
    {
        using var tsm = new FakeTsm("tdx_guest");
        var issuer = new ConfigFsTsmIssuer(tsm.Root, null, new OutblobFails(tsm));

        var e = await Assert.ThrowsAsync<AttestationException>(() => issuer.IssueAsync(_reportDataValue).AsTask());

        Assert.Equal(AttestationFailureReason.NoHardware, e.Reason);
        Assert.Contains("EIO", e.Message, StringComparison.Ordinal);
        Assert.Equal(tsm.Created, tsm.Removed);
    }

    [Fact]
    public async Task Report_data_of_the_wrong_size_is_refused()
    {
        using var tsm = new FakeTsm("tdx_guest");
        var issuer = new ConfigFsTsmIssuer(tsm.Root, null, tsm);

        await Assert.ThrowsAsync<ArgumentException>(() => issuer.IssueAsync(new byte[32]).AsTask());
        Assert.Empty(tsm.Created);
    }

    /// <summary>Like configfs without root: mkdir is refused.</summary>
    private sealed class DeniedTsm : TsmFileSystem, IDisposable
    {
        public string Root { get; } = Directory.CreateTempSubdirectory("carapace-tsm-denied-").FullName;

        public override void CreateEntry(string path) => throw new UnauthorizedAccessException($"Access to the path '{path}' is denied.");

        public void Dispose() => Directory.Delete(Root, recursive: true);
    }

    /// <summary>The provider fails to produce a report (as the kernel's EIO when the quoting service is down).</summary>
    private sealed class OutblobFails(FakeTsm inner) : TsmFileSystem
    {
        public override void CreateEntry(string path) => inner.CreateEntry(path);

        public override void RemoveEntry(string path) => inner.RemoveEntry(path);

        public override void Write(string path, ReadOnlySpan<byte> value) => inner.Write(path, value);

        public override byte[] Read(string path, int limit) =>
            Path.GetFileName(path) == "outblob" ? throw new IOException("Input/output error (EIO)") : inner.Read(path, limit);
    }
}
