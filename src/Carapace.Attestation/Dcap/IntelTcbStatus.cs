namespace Carapace.Attestation.Dcap;

/// <summary>Intel's TCB status texts, and how the status of an identity (QE, TDX module) lowers a platform's status.</summary>
internal static class IntelTcbStatus
{
    /// <summary>Maps Intel's status text; an unknown text rejects the TCB rather than guess.</summary>
    public static TcbStatus Parse(string text, string what) => text switch
    {
        "UpToDate" => TcbStatus.UpToDate,
        "SWHardeningNeeded" => TcbStatus.SWHardeningNeeded,
        "ConfigurationNeeded" => TcbStatus.ConfigurationNeeded,
        "ConfigurationAndSWHardeningNeeded" => TcbStatus.ConfigurationAndSWHardeningNeeded,
        "OutOfDate" => TcbStatus.OutOfDate,
        "OutOfDateConfigurationNeeded" => TcbStatus.OutOfDateConfigurationNeeded,
        "Revoked" => TcbStatus.Revoked,
        _ => throw new AttestationException(AttestationFailureReason.TcbRejected,
            $"the {what} has the unrecognised TCB status '{text}'; update Carapace or use collateral it understands"),
    };

    /// <summary>
    /// Intel QVL's convergence of a TCB level status with an identity's status (QE identity, TDX module identity):
    /// an out-of-date identity makes an up-to-date or hardening-needed platform OutOfDate and a configuration-needed one
    /// OutOfDateConfigurationNeeded; a revoked identity makes it Revoked.
    /// </summary>
    public static TcbStatus Converge(TcbStatus platform, TcbStatus identity) => identity switch
    {
        TcbStatus.Revoked => TcbStatus.Revoked,
        TcbStatus.OutOfDate => platform switch
        {
            TcbStatus.UpToDate or TcbStatus.SWHardeningNeeded => TcbStatus.OutOfDate,
            TcbStatus.ConfigurationNeeded or TcbStatus.ConfigurationAndSWHardeningNeeded => TcbStatus.OutOfDateConfigurationNeeded,
            _ => platform,
        },
        _ => platform,
    };

    /// <summary>An identity level's status as Intel's QVL reads it: UpToDate, Revoked, or otherwise OutOfDate.</summary>
    public static TcbStatus OfIdentity(IsvTcbLevel level) => level.Status switch
    {
        "UpToDate" => TcbStatus.UpToDate,
        "Revoked" => TcbStatus.Revoked,
        _ => TcbStatus.OutOfDate,
    };
}
