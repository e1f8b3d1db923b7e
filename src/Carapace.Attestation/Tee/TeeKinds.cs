using System.Diagnostics.CodeAnalysis;

namespace Carapace.Attestation.Tee;

/// <summary>The names of <see cref="TeeKind"/> on the command line and in configuration: <c>sim</c>, <c>tdx</c>, <c>snp</c>.</summary>
public static class TeeKinds
{
    /// <summary>What a user may write, for messages.</summary>
    public const string Choices = "sim (no hardware, insecure), tdx (Intel TDX confidential VM) or snp (AMD SEV-SNP confidential VM)";

    /// <summary>The name of <paramref name="kind"/>.</summary>
    public static string Name(TeeKind kind) => kind switch
    {
        TeeKind.Simulation => "sim",
        TeeKind.Tdx => "tdx",
        TeeKind.Snp => "snp",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown TEE kind"),
    };

    /// <summary>Parses <c>sim</c>, <c>tdx</c> or <c>snp</c> exactly (lower case); anything else is false.</summary>
    public static bool TryParse([NotNullWhen(true)] string? name, out TeeKind kind)
    {
        switch (name)
        {
            case "sim":
                kind = TeeKind.Simulation;
                return true;
            case "tdx":
                kind = TeeKind.Tdx;
                return true;
            case "snp":
                kind = TeeKind.Snp;
                return true;
            default:
                kind = default;
                return false;
        }
    }

    /// <summary>Parses a name; throws <see cref="TeeConfigurationException"/> naming the choices otherwise.</summary>
    public static TeeKind Parse(string? name, string source = "--tee") =>
        TryParse(name, out var kind)
            ? kind
            : throw new TeeConfigurationException([$"{source}: '{name}' is not a TEE; use {Choices}"]);

    /// <summary>The evidence a process in <paramref name="kind"/> issues.</summary>
    public static EvidenceKind EvidenceOf(TeeKind kind) => kind switch
    {
        TeeKind.Simulation => EvidenceKind.Simulation,
        TeeKind.Tdx => EvidenceKind.Tdx,
        TeeKind.Snp => EvidenceKind.SevSnp,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown TEE kind"),
    };

    /// <summary>The configfs-tsm provider name of a hardware kind: <c>tdx_guest</c> or <c>sev_guest</c>.</summary>
    internal static string ProviderOf(TeeKind kind) => kind switch
    {
        TeeKind.Tdx => "tdx_guest",
        TeeKind.Snp => "sev_guest",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "simulation has no configfs-tsm provider"),
    };
}
