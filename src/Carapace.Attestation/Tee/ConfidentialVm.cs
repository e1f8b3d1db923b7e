using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;
using Carapace.Attestation.Snp;

namespace Carapace.Attestation.Tee;

/// <summary>
/// One confidential VM image that is trusted to run Carapace workloads (enclave processes, or the KMS): its launch
/// measurement (Intel TDX MRTD, optionally the RTMRs; AMD SEV-SNP MEASUREMENT) and how current its platform must be
/// (TDX: the accepted TCB statuses, default only <c>UpToDate</c>; SEV-SNP: a minimum REPORTED_TCB). Trusting an image
/// means trusting everything it runs — on a confidential VM the adversary is outside the VM. JSON:
/// <code>
/// {"kind": "tdx", "launchMeasurement": "&lt;96 hex&gt;", "rtmrs": ["&lt;96 hex&gt;" | null, …4], "tcbStatuses": ["UpToDate"]}
/// {"kind": "snp", "launchMeasurement": "&lt;96 hex&gt;", "minTcb": {"bootLoader": 3, "tee": 0, "snp": 8, "microcode": 115}}
/// </code>
/// </summary>
public sealed record ConfidentialVm
{
    /// <summary>The JSON field names of a rule.</summary>
    private static readonly string[] Fields = ["kind", "launchMeasurement", "rtmrs", "tcbStatuses", "minTcb"];

    /// <summary><see cref="EvidenceKind.Tdx"/> or <see cref="EvidenceKind.SevSnp"/>.</summary>
    public required EvidenceKind Kind { get; init; }

    /// <summary>The launch measurement in hex (48 bytes): TDX MRTD or SEV-SNP MEASUREMENT.</summary>
    public required string LaunchMeasurement { get; init; }

    /// <summary>TDX only: none (any RTMRs), or exactly four entries, each the RTMR's value in hex or null (any value).</summary>
    public IReadOnlyList<string?> Rtmrs { get; init; } = [];

    /// <summary>TDX only: the accepted TCB statuses; null means only <see cref="TcbStatus.UpToDate"/>.</summary>
    public IReadOnlyList<TcbStatus>? TcbStatuses { get; init; }

    /// <summary>SEV-SNP only (required there): the lowest accepted REPORTED_TCB.</summary>
    public SnpMinimumTcb? MinTcb { get; init; }

    /// <summary>The accepted TCB statuses in force (TDX).</summary>
    public IReadOnlyList<TcbStatus> AcceptedTcbStatuses => TcbStatuses ?? [TcbStatus.UpToDate];

    /// <summary>
    /// Decides whether <paramref name="evidence"/> — a verified TDX quote or SEV-SNP report result (the inner result of
    /// an RA-TLS certificate) — comes from one of <paramref name="trusted"/>. Debug is not judged here.
    /// </summary>
    public static VmVerdict Evaluate(IReadOnlyList<ConfidentialVm> trusted, AttestationResult evidence)
    {
        ArgumentNullException.ThrowIfNull(trusted);
        ArgumentNullException.ThrowIfNull(evidence);
        var kindName = EvidenceKinds.Name(evidence.Kind);
        var what = evidence.Kind == EvidenceKind.Tdx ? "MRTD" : "MEASUREMENT";
        var launch = Convert.ToHexStringLower(evidence.Measurement.Span);
        if (!evidence.Verified || evidence.Kind is not (EvidenceKind.Tdx or EvidenceKind.SevSnp))
        {
            return VmVerdict.Refuse(VmRefusal.NotListed, $"the evidence is not verified {kindName} evidence of a confidential VM");
        }

        var ofKind = trusted.Where(vm => vm.Kind == evidence.Kind).ToList();
        if (ofKind.Count == 0)
        {
            return VmVerdict.Refuse(VmRefusal.NotListed, $"it runs in a {kindName} confidential VM ({what} {launch}), and no {kindName} VM is trusted");
        }

        var same = ofKind.Where(vm => string.Equals(vm.LaunchMeasurement, launch, StringComparison.OrdinalIgnoreCase)).ToList();
        if (same.Count == 0)
        {
            return VmVerdict.Refuse(VmRefusal.NotListed,
                $"its VM's launch measurement ({what}) {launch} is not one of the {ofKind.Count} trusted {kindName} VM image(s)");
        }

        VmVerdict? first = null;
        foreach (var vm in same)
        {
            var verdict = vm.Judge(evidence);
            if (verdict.Accepted)
            {
                return verdict;
            }

            first ??= verdict;
        }

        return first!;
    }

    /// <summary>Every problem with this rule, each prefixed with <paramref name="path"/>.</summary>
    public IReadOnlyList<string> Validate(string path)
    {
        var errors = new List<string>();
        if (Kind is not (EvidenceKind.Tdx or EvidenceKind.SevSnp))
        {
            errors.Add($"{path}.kind: a confidential VM is tdx or snp, not {EvidenceKinds.Name(Kind)}");
            return errors;
        }

        Hex(LaunchMeasurement, $"{path}.launchMeasurement", "a launch measurement", errors);
        if (Kind == EvidenceKind.Tdx)
        {
            if (Rtmrs.Count is not (0 or 4))
            {
                errors.Add($"{path}.rtmrs: give all four RTMRs (null for any value), not {Rtmrs.Count}");
            }

            for (var i = 0; i < Rtmrs.Count; i++)
            {
                if (Rtmrs[i] is { } rtmr)
                {
                    Hex(rtmr, $"{path}.rtmrs[{i}]", $"RTMR{i}", errors);
                }
            }

            if (TcbStatuses is { Count: 0 })
            {
                errors.Add($"{path}.tcbStatuses: name at least one accepted TCB status (UpToDate, SWHardeningNeeded, …)");
            }

            foreach (var status in TcbStatuses ?? [])
            {
                if (status is TcbStatus.Unknown or TcbStatus.NotApplicable or TcbStatus.Revoked)
                {
                    errors.Add($"{path}.tcbStatuses: {status} cannot be accepted (a TDX platform's TCB must be evaluated against Intel's collateral, and a revoked one never passes)");
                }
            }

            if (MinTcb is not null)
            {
                errors.Add($"{path}.minTcb: is for snp VMs; a tdx VM's TCB is judged by tcbStatuses");
            }
        }
        else
        {
            if (Rtmrs.Count > 0)
            {
                errors.Add($"{path}.rtmrs: RTMRs exist only in tdx VMs");
            }

            if (TcbStatuses is not null)
            {
                errors.Add($"{path}.tcbStatuses: is for tdx VMs; an snp VM's TCB is judged by minTcb (AMD publishes no TCB statuses)");
            }

            if (MinTcb is null)
            {
                errors.Add($"{path}.minTcb: an snp VM needs the lowest accepted REPORTED_TCB, {{\"bootLoader\", \"tee\", \"snp\", \"microcode\"}}");
            }
        }

        return errors;
    }

    /// <summary>Reads one rule (strictly: unknown, repeated or mistyped fields are errors); null when it has errors.</summary>
    public static ConfidentialVm? Read(JsonElement element, string path, List<string> errors)
    {
        var fields = TeeJson.Open(element, path, errors, Fields);
        if (fields is null)
        {
            return null;
        }

        var before = errors.Count;
        var kindName = fields.String("kind", required: true);
        var kind = kindName switch
        {
            "tdx" => EvidenceKind.Tdx,
            "snp" => EvidenceKind.SevSnp,
            null => EvidenceKind.Unknown,
            _ => Invalid(fields, "kind", $"'{kindName}' is not tdx or snp"),
        };
        var launch = fields.String("launchMeasurement", required: true);
        var rtmrs = new List<string?>();
        foreach (var (item, itemPath) in fields.Array("rtmrs", required: false))
        {
            if (item.ValueKind == JsonValueKind.Null)
            {
                rtmrs.Add(null);
            }
            else if (item.ValueKind == JsonValueKind.String)
            {
                rtmrs.Add(item.GetString());
            }
            else
            {
                errors.Add($"{itemPath}: must be an RTMR in hex, or null for any value");
            }
        }

        List<TcbStatus>? statuses = null;
        if (fields.Has("tcbStatuses"))
        {
            statuses = [];
            foreach (var (item, itemPath) in fields.Array("tcbStatuses", required: true))
            {
                if (item.ValueKind == JsonValueKind.String && Enum.TryParse<TcbStatus>(item.GetString(), ignoreCase: false, out var status)
                    && Enum.IsDefined(status) && !int.TryParse(item.GetString(), out _))
                {
                    statuses.Add(status);
                }
                else
                {
                    errors.Add($"{itemPath}: '{item}' is not a TCB status (UpToDate, SWHardeningNeeded, ConfigurationNeeded, ConfigurationAndSWHardeningNeeded, OutOfDate, OutOfDateConfigurationNeeded)");
                }
            }
        }

        SnpMinimumTcb? minTcb = null;
        if (fields.Element("minTcb") is { } tcbElement)
        {
            var tcb = TeeJson.Open(tcbElement, fields.Path("minTcb"), errors, "bootLoader", "tee", "snp", "microcode");
            if (tcb is not null)
            {
                var (bl, tee, snp, microcode) = (tcb.Integer("bootLoader", 255), tcb.Integer("tee", 255), tcb.Integer("snp", 255), tcb.Integer("microcode", 255));
                if (bl is { } b && tee is { } t && snp is { } s && microcode is { } m)
                {
                    minTcb = new SnpMinimumTcb(b, t, s, m);
                }
            }
        }

        if (errors.Count > before || launch is null)
        {
            return null;
        }

        return new ConfidentialVm { Kind = kind, LaunchMeasurement = launch, Rtmrs = rtmrs, TcbStatuses = statuses, MinTcb = minTcb };
    }

    /// <summary>Writes the rule as the JSON <see cref="Read"/> reads (optional fields only when set).</summary>
    public void WriteTo(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("kind", EvidenceKinds.Name(Kind));
        writer.WriteString("launchMeasurement", LaunchMeasurement);
        if (Rtmrs.Count > 0)
        {
            writer.WriteStartArray("rtmrs");
            foreach (var rtmr in Rtmrs)
            {
                if (rtmr is null)
                {
                    writer.WriteNullValue();
                }
                else
                {
                    writer.WriteStringValue(rtmr);
                }
            }

            writer.WriteEndArray();
        }

        if (TcbStatuses is not null)
        {
            writer.WriteStartArray("tcbStatuses");
            foreach (var status in TcbStatuses)
            {
                writer.WriteStringValue(status.ToString());
            }

            writer.WriteEndArray();
        }

        if (MinTcb is { } min)
        {
            writer.WriteStartObject("minTcb");
            writer.WriteNumber("bootLoader", min.BootLoader);
            writer.WriteNumber("tee", min.Tee);
            writer.WriteNumber("snp", min.Snp);
            writer.WriteNumber("microcode", min.Microcode);
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{EvidenceKinds.Name(Kind)} {LaunchMeasurement.ToLowerInvariant()} rtmrs [{string.Join(",", Rtmrs.Select(r => r?.ToLowerInvariant() ?? "*"))}] "
        + $"tcb [{string.Join(",", TcbStatuses ?? [])}] min [{MinTcb}]");

    private VmVerdict Judge(AttestationResult evidence)
    {
        if (Kind == EvidenceKind.Tdx)
        {
            for (var i = 0; i < Rtmrs.Count; i++)
            {
                if (Rtmrs[i] is not { } wanted)
                {
                    continue;
                }

                var actual = evidence.Claims.FirstOrDefault(c => c.Name == $"rtmr{i}")?.Bytes ?? [];
                if (!string.Equals(Convert.ToHexStringLower(actual), wanted, StringComparison.OrdinalIgnoreCase))
                {
                    return VmVerdict.Refuse(VmRefusal.NotListed,
                        $"its RTMR{i} is {Convert.ToHexStringLower(actual)}, not the trusted VM image's {wanted.ToLowerInvariant()} (another kernel, command line or boot configuration)");
                }
            }

            if (!AcceptedTcbStatuses.Contains(evidence.TcbStatus))
            {
                var hint = evidence.TcbStatus == TcbStatus.Unknown ? " (it was not evaluated: the verifier has no Intel collateral for this platform)" : "";
                return VmVerdict.Refuse(VmRefusal.TcbNotAccepted,
                    $"its TDX platform's TCB status is {evidence.TcbStatus}{hint}; the trusted VM image accepts {string.Join(", ", AcceptedTcbStatuses)}");
            }

            return VmVerdict.Accept(this);
        }

        var reported = evidence.Claims.FirstOrDefault(c => c.Name == "reportedTcb")?.Bytes;
        if (reported is not { Length: 8 } || MinTcb is not { } min)
        {
            return VmVerdict.Refuse(VmRefusal.TcbNotAccepted, "its REPORTED_TCB is unknown, so it cannot be compared with the minimum");
        }

        var tcb = new SnpTcbVersion(BinaryPrimitives.ReadUInt64LittleEndian(reported));
        if (tcb.BootLoader < min.BootLoader || tcb.Tee < min.Tee || tcb.Snp < min.Snp || tcb.Microcode < min.Microcode)
        {
            return VmVerdict.Refuse(VmRefusal.TcbNotAccepted, $"its REPORTED_TCB ({tcb}) is below the trusted VM image's minimum ({min})");
        }

        return VmVerdict.Accept(this);
    }

    private static EvidenceKind Invalid(TeeJson fields, string name, string message)
    {
        fields.Error(name, message);
        return EvidenceKind.Unknown;
    }

    private static void Hex(string text, string path, string what, List<string> errors)
    {
        if (text.Length != 96 || !text.All(char.IsAsciiHexDigit))
        {
            errors.Add($"{path}: {what} is 48 bytes (96 hex digits); got {text.Length} characters{(text.All(char.IsAsciiHexDigit) ? "" : " that are not all hex digits")}");
        }
    }
}
