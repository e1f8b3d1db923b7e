namespace Carapace.Kms.Client;

/// <summary>
/// The KMS's RA-TLS certificate did not satisfy the client's <see cref="KmsServerTrust"/>: its evidence did not verify,
/// it runs another measurement, or it is simulated and simulation is not allowed. Nothing was sent to it.
/// </summary>
public sealed class KmsTrustException : Exception
{
    /// <summary>Creates the error; the message names the endpoint and what was wrong.</summary>
    public KmsTrustException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
