namespace Carapace.Envelope.Keys;

/// <summary>Where Carapace keeps its per-user state: <c>$CARAPACE_HOME</c>, or <c>~/.carapace</c>.</summary>
public static class CarapaceHome
{
    /// <summary>The folder (not created here).</summary>
    public static string Directory =>
        Environment.GetEnvironmentVariable("CARAPACE_HOME") is { Length: > 0 } home
            ? home
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".carapace");

    /// <summary>
    /// The simulated platform's folder, <c>&lt;home&gt;/sim</c>: its platform key and its simulated quoting key, shared
    /// by the enclaves and the KMS of one machine.
    /// </summary>
    public static string SimulationDirectory => Path.Combine(Directory, "sim");
}
