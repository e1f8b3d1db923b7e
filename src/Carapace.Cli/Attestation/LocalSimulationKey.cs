using Carapace.Attestation.Simulation;
using Carapace.Envelope.Keys;

namespace Carapace.Cli.Attestation;

/// <summary>
/// The simulation quoting key of this user (<c>$CARAPACE_HOME/sim/quoting.key</c>): the only key whose simulation
/// evidence <c>attest verify</c> accepts. It is opened, never created: verifying must not mint a key.
/// </summary>
internal static class LocalSimulationKey
{
    /// <summary>The loud line printed on stderr for every simulation result.</summary>
    public const string Banner =
        "WARNING: SIMULATION evidence — produced with a software key, no hardware protection. Never accept it in production.";

    /// <summary>The folder the key lives in.</summary>
    public static string Directory => CarapaceHome.SimulationDirectory;

    /// <summary>The key file.</summary>
    public static string FilePath => Path.Combine(Directory, SimulatedQuotingService.KeyFileName);

    /// <summary>The public key (DER SubjectPublicKeyInfo), or null when this user has no simulation quoting key.</summary>
    public static byte[]? TryOpenPublicKey()
    {
        if (!File.Exists(FilePath))
        {
            return null;
        }

        using var service = SimulatedQuotingService.OpenOrCreate(Directory);
        return service.PublicKey.ToArray();
    }
}
