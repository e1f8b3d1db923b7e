namespace Carapace.Attestation.Dcap;

/// <summary>
/// Intel's TCB level selection (QVL <c>TcbLevelCheck</c> / <c>TdxModuleCheck</c>, Intel's quote verification
/// specification 4.1.2.4.17): the first level, in the TCB info's order (newest first), whose 16 SGX component SVNs are
/// each at most the PCK certificate's and whose PCESVN is at most the PCK's; for TDX, the first such level whose 16 TDX
/// component SVNs are each at most TEE_TCB_SVN (from index 2 when TEE_TCB_SVN[1], the TDX module major version, is
/// above 0, because the module's own SVN is then judged by its TDX module identity). The level's status is then
/// lowered by the TDX module identity's level (major version above 0 only) and the QE identity's level.
/// </summary>
/// <remarks>
/// Not done: the TDX 1.5 "relaunch advised" refinement (Intel's <c>TDRelaunchCheck</c>, which compares TEE_TCB_SVN2
/// with a newer level and has no <see cref="TcbStatus"/> to report it); a TDX 1.5 quote is judged on TEE_TCB_SVN alone.
/// </remarks>
internal static class TcbEvaluation
{
    /// <summary>
    /// Evaluates the platform's PCK TCB (<paramref name="pckComponents"/>, <paramref name="pckPceSvn"/>), for TDX also
    /// the TD's <paramref name="teeTcbSvn"/>, against <paramref name="tcbInfo"/>, and converges the result with the
    /// quoting enclave's level. Throws TcbRejected when no level matches and Revoked when the result is revoked.
    /// </summary>
    public static TcbVerdict Evaluate(TcbInfo tcbInfo, byte[] pckComponents, ushort pckPceSvn, byte[]? teeTcbSvn, IsvTcbLevel qeLevel)
    {
        var (sgxLevel, tdxLevel) = Match(tcbInfo.Levels, pckComponents, pckPceSvn, teeTcbSvn);
        if (sgxLevel is null)
        {
            throw new AttestationException(AttestationFailureReason.TcbRejected,
                $"no matching TCB level: the platform's PCK TCB (SGX component SVNs [{string.Join(", ", pckComponents)}], PCESVN {pckPceSvn}) "
                + $"is below every level of the TCB info for FMSPC {Convert.ToHexStringLower(tcbInfo.Fmspc)}; the platform needs a microcode or BIOS update");
        }

        var platform = sgxLevel;
        IsvTcbLevel? moduleLevel = null;
        if (teeTcbSvn is not null)
        {
            platform = tdxLevel ?? throw new AttestationException(AttestationFailureReason.TcbRejected,
                $"no matching TCB level: the TD's TEE_TCB_SVN {Convert.ToHexStringLower(teeTcbSvn)} is below the TDX components of every level "
                + $"of the TCB info for FMSPC {Convert.ToHexStringLower(tcbInfo.Fmspc)} that the platform's SGX TCB reaches; the TDX module needs an update");
            moduleLevel = TdxModuleLevel(teeTcbSvn, tcbInfo);
        }

        var status = IntelTcbStatus.Parse(platform.Status, "selected TCB info level");
        if (moduleLevel is not null)
        {
            status = IntelTcbStatus.Converge(status, IntelTcbStatus.OfIdentity(moduleLevel));
        }

        status = IntelTcbStatus.Converge(status, IntelTcbStatus.OfIdentity(qeLevel));
        if (status == TcbStatus.Revoked)
        {
            throw new AttestationException(AttestationFailureReason.Revoked, RevokedMessage(platform, moduleLevel, qeLevel));
        }

        var advisories = platform.Advisories
            .Concat(moduleLevel?.Advisories ?? [])
            .Concat(qeLevel.Advisories)
            .Distinct(StringComparer.Ordinal)
            .ToList();
        return new TcbVerdict(status, advisories, platform.TcbDate, qeLevel);
    }

    /// <summary>
    /// The first level the PCK TCB reaches (SGX) and, when <paramref name="teeTcbSvn"/> is given, the first level the
    /// PCK TCB and the TD's TEE_TCB_SVN both reach (TDX).
    /// </summary>
    internal static (TcbLevel? Sgx, TcbLevel? Tdx) Match(IReadOnlyList<TcbLevel> levels, ReadOnlySpan<byte> components, ushort pceSvn, byte[]? teeTcbSvn)
    {
        TcbLevel? sgx = null;
        foreach (var level in levels)
        {
            if (!AtLeast(components, level.SgxComponents) || pceSvn < level.PceSvn)
            {
                continue;
            }

            sgx ??= level;
            if (teeTcbSvn is null)
            {
                return (sgx, null);
            }

            var tdxComponents = level.TdxComponents
                ?? throw AttestationException.Malformed("a level of the TDX TCB info has no tdxtcbcomponents");
            var from = teeTcbSvn[1] > 0 ? 2 : 0;
            if (AtLeast(teeTcbSvn.AsSpan(from), tdxComponents.AsSpan(from)))
            {
                return (sgx, level);
            }
        }

        return (sgx, null);
    }

    /// <summary>
    /// The TDX module identity that applies to the TD: the <c>tdxModule</c> object for module major version
    /// (TEE_TCB_SVN[1]) 0, otherwise the identity <c>TDX_</c>major; CollateralMismatch when the TCB info has none.
    /// </summary>
    internal static TdxModuleIdentity ModuleIdentity(ReadOnlySpan<byte> teeTcbSvn, TcbInfo tcbInfo)
    {
        var major = teeTcbSvn[1];
        if (major == 0)
        {
            return tcbInfo.TdxModule ?? throw AttestationException.Malformed("the TDX TCB info has no tdxModule identity");
        }

        var id = $"TDX_{major:X2}";
        return tcbInfo.TdxModuleIdentities.FirstOrDefault(m => string.Equals(m.Id, id, StringComparison.OrdinalIgnoreCase))
            ?? throw new AttestationException(AttestationFailureReason.CollateralMismatch,
                $"the TD runs TDX module major version {major}, but the TCB info has no TDX module identity '{id}'");
    }

    private static IsvTcbLevel? TdxModuleLevel(byte[] teeTcbSvn, TcbInfo tcbInfo)
    {
        if (teeTcbSvn[1] == 0)
        {
            return null;
        }

        var identity = ModuleIdentity(teeTcbSvn, tcbInfo);
        return IsvTcbLevel.Match(identity.Levels, teeTcbSvn[0])
            ?? throw new AttestationException(AttestationFailureReason.TcbRejected,
                $"the TDX module's SVN {teeTcbSvn[0]} is below every TCB level of TDX module identity '{identity.Id}'; the TDX module needs an update");
    }

    private static bool AtLeast(ReadOnlySpan<byte> actual, ReadOnlySpan<byte> required)
    {
        for (var i = 0; i < required.Length; i++)
        {
            if (actual[i] < required[i])
            {
                return false;
            }
        }

        return true;
    }

    private static string RevokedMessage(TcbLevel platform, IsvTcbLevel? module, IsvTcbLevel qe)
    {
        var what = platform.Status == "Revoked" ? $"the platform's TCB level of {platform.TcbDate.UtcDateTime:yyyy-MM-dd}"
            : module?.Status == "Revoked" ? $"the TDX module's TCB level (SVN {module.IsvSvn})"
            : $"the quoting enclave's TCB level (ISVSVN {qe.IsvSvn})";
        return $"{what} is revoked by Intel; the platform must be updated before it can be trusted";
    }
}
