namespace Carapace.Attestation;

/// <summary>
/// How current the platform's trusted computing base is, in the terms of Intel's TCB info (for other kinds only
/// <see cref="Unknown"/> and <see cref="NotApplicable"/> are used).
/// </summary>
public enum TcbStatus
{
    /// <summary>Not evaluated, typically because no collateral was supplied.</summary>
    Unknown,

    /// <summary>The evidence kind has no TCB levels to compare (simulation, Nitro).</summary>
    NotApplicable,

    /// <summary>The platform is patched and configured as recommended.</summary>
    UpToDate,

    /// <summary>Patched, but software mitigations are needed for advisories.</summary>
    SWHardeningNeeded,

    /// <summary>Patched, but the platform configuration needs changes.</summary>
    ConfigurationNeeded,

    /// <summary>Patched, but both configuration and software mitigations are needed.</summary>
    ConfigurationAndSWHardeningNeeded,

    /// <summary>The platform's TCB is below the current level.</summary>
    OutOfDate,

    /// <summary>Out of date and the configuration needs changes.</summary>
    OutOfDateConfigurationNeeded,

    /// <summary>The platform's TCB level or its key has been revoked.</summary>
    Revoked,
}
