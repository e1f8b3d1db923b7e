using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Carapace.Attestation.ConfigFsTsm;

/// <summary>
/// Issues hardware evidence through the Linux configfs-tsm report interface (<c>/sys/kernel/config/tsm/report</c>,
/// Linux 6.7+, kernel ABI <c>Documentation/ABI/testing/configfs-tsm-report</c>): inside an Intel TDX guest the
/// evidence is a TDX quote, inside an AMD SEV-SNP guest an SNP attestation report.
/// </summary>
/// <remarks>
/// Each request uses a fresh entry: <c>mkdir</c> under the report directory, read <c>provider</c> and
/// <c>generation</c>, write <c>privlevel</c> (when set) and the 64 bytes of <c>inblob</c>, read <c>outblob</c> and
/// <c>auxblob</c> (if present), then read <c>generation</c> again. The kernel bumps <c>generation</c> on every
/// write, so a count other than this issuer's own writes means another process wrote to the entry and the report
/// may not be for these report data: the request is retried with a new entry, at most
/// <see cref="MaxAttempts"/> times. The entry is removed (<c>rmdir</c>) afterwards whatever happens.
/// </remarks>
public sealed class ConfigFsTsmIssuer : IEvidenceIssuer
{
    /// <summary>Where the kernel exposes the report interface.</summary>
    public const string DefaultRoot = "/sys/kernel/config/tsm/report";

    /// <summary>How many fresh entries a request tries before giving up on concurrent writers.</summary>
    public const int MaxAttempts = 3;

    /// <summary>
    /// How long a new entry may take to show its <c>provider</c> attribute. configfs creates an entry's attributes
    /// with the directory, so on a kernel the first look finds it; the bound only matters for a user-space
    /// implementation of the same interface (such as the tests' imitation tree), which populates the entry after it
    /// sees the directory appear.
    /// </summary>
    public static readonly TimeSpan EntryReadyTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The largest <c>outblob</c> or <c>auxblob</c> accepted.</summary>
    private const int BlobLimit = 1024 * 1024;

    private const int SnpReportSize = 1184;
    private const int SnpReportDataOffset = 0x50;
    private const int TdxReportDataOffsetV4 = 48 + 0x208;
    private const int TdxReportDataOffsetV5 = 54 + 0x208;

    private readonly string _root;
    private readonly int? _privilegeLevel;
    private readonly TsmFileSystem _files;
    private EvidenceKind? _kind;

    /// <summary>Creates an issuer for the report interface at <paramref name="root"/>.</summary>
    /// <param name="root">The configfs report directory; <see cref="DefaultRoot"/> when null.</param>
    /// <param name="privilegeLevel">
    /// The privilege level to request (<c>privlevel</c>, 0..3, e.g. the SEV-SNP VMPL); null leaves the provider's default.
    /// </param>
    public ConfigFsTsmIssuer(string? root = null, int? privilegeLevel = null)
        : this(root, privilegeLevel, TsmFileSystem.Real)
    {
    }

    internal ConfigFsTsmIssuer(string? root, int? privilegeLevel, TsmFileSystem files)
    {
        if (privilegeLevel is < 0 or > 3)
        {
            throw new ArgumentOutOfRangeException(nameof(privilegeLevel), privilegeLevel, "the configfs-tsm privilege level must be 0..3");
        }

        _root = root ?? DefaultRoot;
        _privilegeLevel = privilegeLevel;
        _files = files;
    }

    /// <summary>
    /// The kind of evidence the platform produces (<see cref="EvidenceKind.Tdx"/> or <see cref="EvidenceKind.SevSnp"/>).
    /// Known after the first report; before that, reading it creates and removes one entry to read the provider.
    /// Throws <see cref="AttestationException"/> (<see cref="AttestationFailureReason.NoHardware"/>) on a machine
    /// without the interface.
    /// </summary>
    public EvidenceKind Kind => _kind ??= Probe();

    /// <summary>True when <paramref name="root"/> (by default <see cref="DefaultRoot"/>) exists, i.e. the kernel offers configfs-tsm reports.</summary>
    public static bool IsAvailable(string? root = null) => Directory.Exists(root ?? DefaultRoot);

    /// <summary>
    /// Issues evidence over <paramref name="reportData"/>: the TDX quote; or the SEV-SNP report followed by the
    /// provider's certificate table (<c>auxblob</c>, which holds the VCEK) when it returned one, the form
    /// <see cref="Snp.SnpReportVerifier"/> reads without separate collateral.
    /// </summary>
    public async ValueTask<Evidence> IssueAsync(ReadOnlyMemory<byte> reportData, CancellationToken cancellationToken = default)
    {
        var report = await GetReportAsync(reportData, cancellationToken).ConfigureAwait(false);
        return report.Kind == EvidenceKind.SevSnp && report.AuxBlob.Length > 0
            ? new Evidence(report.Kind, (byte[])[.. report.OutBlob.Span, .. report.AuxBlob.Span])
            : new Evidence(report.Kind, report.OutBlob);
    }

    /// <summary>
    /// Requests a report over <paramref name="reportData"/> (exactly 64 bytes) and returns it with the provider's
    /// auxiliary data (the SEV-SNP certificate table). Throws <see cref="AttestationException"/>:
    /// <see cref="AttestationFailureReason.NoHardware"/> without the interface or without permission to use it.
    /// </summary>
    public async ValueTask<ConfigFsTsmReport> GetReportAsync(ReadOnlyMemory<byte> reportData, CancellationToken cancellationToken = default)
    {
        if (reportData.Length != ReportData.Size)
        {
            throw new ArgumentException($"report data must be {ReportData.Size} bytes, not {reportData.Length}", nameof(reportData));
        }

        ThrowIfUnavailable();
        var data = reportData.ToArray();

        // configfs reads block while the TEE produces the report (a TDX quote can take a while): keep callers responsive.
        return await Task.Run(() => Request(data, cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    private void ThrowIfUnavailable()
    {
        if (!IsAvailable(_root))
        {
            throw new AttestationException(AttestationFailureReason.NoHardware,
                $"no TEE attestation interface: {_root} does not exist (this machine has no TDX/SEV-SNP guest support); use simulation mode (kind sim) to develop without hardware, or run inside an Intel TDX or AMD SEV-SNP confidential VM with Linux 6.7 or later");
        }
    }

    private EvidenceKind Probe()
    {
        ThrowIfUnavailable();
        var entry = CreateEntry();
        try
        {
            return KindOf(ReadProvider(entry));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CannotUse(entry, e);
        }
        finally
        {
            RemoveEntry(entry);
        }
    }

    private ConfigFsTsmReport Request(byte[] reportData, CancellationToken cancellationToken)
    {
        string? conflict = null;
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var entry = CreateEntry();
            try
            {
                var provider = ReadProvider(entry);
                var kind = KindOf(provider);
                var before = ReadGeneration(entry);
                ulong writes = 0;
                if (_privilegeLevel is { } level)
                {
                    var privlevel = Path.Combine(entry, "privlevel");
                    if (!_files.Exists(privlevel))
                    {
                        throw new AttestationException(AttestationFailureReason.UnsupportedVersion,
                            $"the configfs-tsm provider '{provider}' has no privilege levels (no {privlevel}); do not request privilege level {level}");
                    }

                    _files.Write(privlevel, Encoding.ASCII.GetBytes(level.ToString(CultureInfo.InvariantCulture)));
                    writes++;
                }

                _files.Write(Path.Combine(entry, "inblob"), reportData);
                writes++;
                var outblob = _files.Read(Path.Combine(entry, "outblob"), BlobLimit);
                var auxPath = Path.Combine(entry, "auxblob");
                var auxblob = _files.Exists(auxPath) ? _files.Read(auxPath, BlobLimit) : [];
                var after = ReadGeneration(entry);
                if (after != before + writes)
                {
                    conflict = $"generation went from {before} to {after} across this issuer's {writes} writes";
                    continue;
                }

                if (outblob.Length == 0)
                {
                    throw AttestationException.Malformed($"the configfs-tsm provider '{provider}' returned an empty outblob");
                }

                CheckReportData(kind, outblob, reportData);
                _kind = kind;
                return new ConfigFsTsmReport(kind, provider, outblob, auxblob, after);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw CannotUse(entry, e);
            }
            finally
            {
                RemoveEntry(entry);
            }
        }

        throw AttestationException.Malformed(
            $"another process kept writing to Carapace's configfs-tsm report entries under {_root} ({conflict}; {MaxAttempts} attempts), so the report could not be trusted to carry the requested report data; stop other users of the entries and retry");
    }

    private string CreateEntry()
    {
        var entry = Path.Combine(_root, $"carapace-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            _files.CreateEntry(entry);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AttestationException(AttestationFailureReason.NoHardware,
                $"cannot create a configfs-tsm report entry in {_root} ({e.Message}); requesting reports needs root or write access to that directory");
        }

        var provider = Path.Combine(entry, "provider");
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!_files.Exists(provider))
        {
            if (waited.Elapsed > EntryReadyTimeout)
            {
                RemoveEntry(entry);
                throw new AttestationException(AttestationFailureReason.NoHardware,
                    $"the configfs-tsm report entry {entry} shows no 'provider' attribute {EntryReadyTimeout.TotalSeconds:0} s after it was made: {_root} is not a TSM report interface");
            }

            Thread.Sleep(1);
        }

        return entry;
    }

    private void RemoveEntry(string entry)
    {
        try
        {
            _files.RemoveEntry(entry);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Nothing secret is left behind (report data is public); an entry that cannot be removed only uses kernel memory.
        }
    }

    private AttestationException CannotUse(string entry, Exception e) =>
        new(AttestationFailureReason.NoHardware, $"the configfs-tsm report entry {entry} could not be used ({e.Message})");

    private string ReadProvider(string entry)
    {
        var text = Encoding.ASCII.GetString(_files.Read(Path.Combine(entry, "provider"), 256)).Trim();
        return text.Length > 0 ? text : throw AttestationException.Malformed($"the configfs-tsm entry {entry} names no provider");
    }

    private ulong ReadGeneration(string entry)
    {
        var text = Encoding.ASCII.GetString(_files.Read(Path.Combine(entry, "generation"), 64)).Trim();
        return ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var generation)
            ? generation
            : throw AttestationException.Malformed($"the configfs-tsm entry {entry} has a generation that is not a number ('{text}')");
    }

    private static EvidenceKind KindOf(string provider) => provider switch
    {
        "tdx_guest" => EvidenceKind.Tdx,
        "sev_guest" => EvidenceKind.SevSnp,
        _ => throw new AttestationException(AttestationFailureReason.UnsupportedVersion,
            $"the configfs-tsm provider '{provider}' is not supported (Carapace uses tdx_guest and sev_guest)"),
    };

    /// <summary>
    /// Defence in depth: where the report's layout is recognised, it must carry exactly the report data written to
    /// <c>inblob</c>. Unrecognised layouts (e.g. future CBOR formats) are left to the verifier.
    /// </summary>
    private static void CheckReportData(EvidenceKind kind, byte[] outblob, byte[] reportData)
    {
        int? offset = null;
        if (kind == EvidenceKind.Tdx && outblob.Length >= 2)
        {
            offset = BinaryPrimitives.ReadUInt16LittleEndian(outblob) switch
            {
                4 => TdxReportDataOffsetV4,
                5 => TdxReportDataOffsetV5,
                _ => null,
            };
        }
        else if (kind == EvidenceKind.SevSnp && outblob.Length >= SnpReportSize)
        {
            offset = SnpReportDataOffset;
        }

        if (offset is { } at && outblob.Length >= at + ReportData.Size
            && !ReportData.Matches(outblob.AsSpan(at, ReportData.Size), reportData))
        {
            throw new AttestationException(AttestationFailureReason.ReportDataMismatch,
                "the configfs-tsm outblob carries other report data than was written to inblob; another process may be using the entry");
        }
    }
}
