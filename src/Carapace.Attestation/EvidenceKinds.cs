namespace Carapace.Attestation;

/// <summary>The short names of evidence kinds used on the command line, in JSON and in policies.</summary>
public static class EvidenceKinds
{
    /// <summary>The short name of <paramref name="kind"/>: <c>sim</c>, <c>sgx</c>, <c>tdx</c>, <c>snp</c>, <c>nitro</c> or <c>ratls</c>.</summary>
    public static string Name(EvidenceKind kind) => kind switch
    {
        EvidenceKind.Simulation => "sim",
        EvidenceKind.Sgx => "sgx",
        EvidenceKind.Tdx => "tdx",
        EvidenceKind.SevSnp => "snp",
        EvidenceKind.Nitro => "nitro",
        EvidenceKind.RaTls => "ratls",
        EvidenceKind.Unknown => "unknown",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown evidence kind"),
    };

    /// <summary>Parses a short name (case-insensitive); returns false for anything else.</summary>
    public static bool TryParse(string? name, out EvidenceKind kind)
    {
        foreach (var candidate in Enum.GetValues<EvidenceKind>().Where(k => k != EvidenceKind.Unknown))
        {
            if (string.Equals(Name(candidate), name, StringComparison.OrdinalIgnoreCase))
            {
                kind = candidate;
                return true;
            }
        }

        kind = default;
        return false;
    }
}
