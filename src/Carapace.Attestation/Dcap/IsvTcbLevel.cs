namespace Carapace.Attestation.Dcap;

/// <summary>One TCB level of an enclave identity (QE identity, TDX module identity): the ISVSVN it needs at least.</summary>
/// <param name="IsvSvn">The lowest ISVSVN at this level.</param>
/// <param name="TcbDate">The date of the level.</param>
/// <param name="Status">Intel's status text (UpToDate, OutOfDate, Revoked).</param>
/// <param name="Advisories">The Intel security advisories that apply at this level.</param>
internal sealed record IsvTcbLevel(ushort IsvSvn, DateTimeOffset TcbDate, string Status, IReadOnlyList<string> Advisories)
{
    /// <summary>Reads the <c>tcbLevels</c> array of an identity.</summary>
    public static IReadOnlyList<IsvTcbLevel> ReadAll(JsonFields identity)
    {
        var levels = identity.Array("tcbLevels").Select(element =>
        {
            var level = new JsonFields(element, "identity TCB level");
            return new IsvTcbLevel(
                (ushort)level.Object("tcb").Int("isvsvn", 0, ushort.MaxValue),
                level.Date("tcbDate"),
                level.String("tcbStatus"),
                level.Strings("advisoryIDs"));
        }).ToList();
        return levels.Count > 0 ? levels : throw AttestationException.Malformed("an identity in the DCAP collateral has no TCB levels");
    }

    /// <summary>The first level whose ISVSVN is at most <paramref name="isvSvn"/> (levels are listed newest first), or null.</summary>
    public static IsvTcbLevel? Match(IReadOnlyList<IsvTcbLevel> levels, ushort isvSvn) =>
        levels.FirstOrDefault(level => isvSvn >= level.IsvSvn);
}
