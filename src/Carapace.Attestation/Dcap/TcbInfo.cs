namespace Carapace.Attestation.Dcap;

/// <summary>
/// Intel's TCB info for one FMSPC (version 2, SGX; or version 3, <c>id</c> "SGX" or "TDX"): the TCB levels, newest first,
/// that a platform's PCK TCB is compared with.
/// </summary>
internal sealed class TcbInfo
{
    public const string SgxId = "SGX";
    public const string TdxId = "TDX";

    public required string Id { get; init; }

    public required int Version { get; init; }

    public required ValidityWindow Window { get; init; }

    public required byte[] Fmspc { get; init; }

    public required byte[] PceId { get; init; }

    public int? EvaluationDataNumber { get; init; }

    /// <summary>The TDX module identity for module major version 0 (TDX TCB info only).</summary>
    public TdxModuleIdentity? TdxModule { get; init; }

    /// <summary>The identities of TDX modules with a major version above 0 (TDX TCB info only; may be empty).</summary>
    public IReadOnlyList<TdxModuleIdentity> TdxModuleIdentities { get; init; } = [];

    public required IReadOnlyList<TcbLevel> Levels { get; init; }

    /// <summary>Parses Intel's signed <c>tcbInfo</c> JSON text.</summary>
    /// <exception cref="AttestationException">Malformed, or UnsupportedVersion for a version or TCB type Carapace does not read: the only exception for any text.</exception>
    public static TcbInfo Parse(string json) => JsonFields.Parse(json, "TCB info", Read);

    private static TcbInfo Read(JsonFields info)
    {
        var version = info.Int("version", 0, int.MaxValue);
        if (version is not (2 or 3))
        {
            throw new AttestationException(AttestationFailureReason.UnsupportedVersion, $"TCB info version {version} is not supported (2 or 3)");
        }

        var tcbType = info.Int("tcbType", 0, int.MaxValue);
        if (tcbType != 0)
        {
            throw new AttestationException(AttestationFailureReason.UnsupportedVersion, $"TCB info tcbType {tcbType} is not supported (only 0)");
        }

        var id = version == 3 ? info.String("id") : SgxId;
        var isTdx = id == TdxId;
        var levels = info.Array("tcbLevels").Select(element => ReadLevel(new JsonFields(element, "TCB info level"), version, isTdx)).ToList();
        if (levels.Count == 0)
        {
            throw AttestationException.Malformed("the TCB info has no TCB levels");
        }

        return new TcbInfo
        {
            Id = id,
            Version = version,
            Window = new ValidityWindow(info.Date("issueDate"), info.Date("nextUpdate")),
            Fmspc = info.Hex("fmspc", 6),
            PceId = info.Hex("pceId", 2),
            EvaluationDataNumber = info.Has("tcbEvaluationDataNumber") ? info.Int("tcbEvaluationDataNumber", 0, int.MaxValue) : null,
            TdxModule = isTdx && info.Has("tdxModule") ? TdxModuleIdentity.Read(info.Object("tdxModule"), withLevels: false) : null,
            TdxModuleIdentities = isTdx && info.Has("tdxModuleIdentities")
                ? [.. info.Array("tdxModuleIdentities").Select(e => TdxModuleIdentity.Read(new JsonFields(e, "TDX module identity"), withLevels: true))]
                : [],
            Levels = levels,
        };
    }

    private static TcbLevel ReadLevel(JsonFields level, int version, bool isTdx)
    {
        var tcb = level.Object("tcb");
        var sgx = new byte[16];
        byte[]? tdx = null;
        if (version == 2)
        {
            for (var i = 0; i < 16; i++)
            {
                sgx[i] = (byte)tcb.Int($"sgxtcbcomp{i + 1:00}svn", 0, byte.MaxValue);
            }
        }
        else
        {
            ReadComponents(tcb, "sgxtcbcomponents", sgx);
            if (isTdx)
            {
                tdx = new byte[16];
                ReadComponents(tcb, "tdxtcbcomponents", tdx);
            }
        }

        return new TcbLevel(
            sgx,
            (ushort)tcb.Int("pcesvn", 0, ushort.MaxValue),
            tdx,
            level.Date("tcbDate"),
            level.String("tcbStatus"),
            level.Strings("advisoryIDs"));
    }

    private static void ReadComponents(JsonFields tcb, string name, byte[] into)
    {
        var components = tcb.Array(name).ToList();
        if (components.Count != into.Length)
        {
            throw AttestationException.Malformed($"a TCB info level has {components.Count} {name}, not {into.Length}");
        }

        for (var i = 0; i < into.Length; i++)
        {
            into[i] = (byte)new JsonFields(components[i], $"TCB info {name}").Int("svn", 0, byte.MaxValue);
        }
    }
}
