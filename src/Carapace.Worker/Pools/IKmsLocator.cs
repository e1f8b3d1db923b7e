namespace Carapace.Worker.Pools;

/// <summary>
/// Where the KMS is at the moment an enclave is specialised, and whether it serves. A supervised KMS can be restarted
/// (and, when its port was taken, move to another one); the worker asks before every specialisation, so enclaves
/// always attest to the current endpoint and an outage fails fast instead of costing a stem cell and a timeout.
/// </summary>
public interface IKmsLocator
{
    /// <summary>The KMS endpoint enclaves attest to now.</summary>
    /// <exception cref="KmsUnavailableException">The KMS is known to be down (e.g. restarting).</exception>
    Uri Locate();

    /// <summary>How long a caller should wait before retrying after an enclave found the KMS unavailable.</summary>
    TimeSpan RetryAfter { get; }

    /// <summary>
    /// False while the KMS is known to be down. An enclave due for recycling then keeps serving: its replacement could
    /// not get its keys, so recycling it would only turn a working enclave into refusals.
    /// </summary>
    bool IsAvailable { get; }
}
