namespace Carapace.Client;

/// <summary>
/// A <see cref="CarapaceClient"/> cannot do what was asked with what it has: the profile names no owner or client
/// key, the platform names no KMS or one of another build, the namespace policy does not let this owner or client
/// act. The message says what to do; it never contains key bytes or payloads.
/// </summary>
public sealed class CarapaceClientException : Exception
{
    /// <summary>Creates the error.</summary>
    public CarapaceClientException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
