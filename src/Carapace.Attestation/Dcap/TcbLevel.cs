namespace Carapace.Attestation.Dcap;

/// <summary>One level of Intel's TCB info: the SVNs a platform needs at least, and the status it then has.</summary>
/// <param name="SgxComponents">The 16 SGX TCB component SVNs.</param>
/// <param name="PceSvn">The PCE SVN.</param>
/// <param name="TdxComponents">The 16 TDX TCB component SVNs (TDX TCB info only).</param>
/// <param name="TcbDate">The date of the level.</param>
/// <param name="Status">Intel's status text (UpToDate, OutOfDate, …).</param>
/// <param name="Advisories">The Intel security advisories that apply at this level.</param>
internal sealed record TcbLevel(
    byte[] SgxComponents,
    ushort PceSvn,
    byte[]? TdxComponents,
    DateTimeOffset TcbDate,
    string Status,
    IReadOnlyList<string> Advisories);
