namespace Carapace.Client.Profiles;

/// <summary>
/// No usable platform profile: no platform runs for the data directory, <c>platform.json</c> is damaged or readable by
/// other users, or the <c>CARAPACE_*</c> variables are incomplete. The message says what to do; it never contains the
/// namespace key.
/// </summary>
public sealed class PlatformProfileException : Exception
{
    /// <summary>Creates the error.</summary>
    public PlatformProfileException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
