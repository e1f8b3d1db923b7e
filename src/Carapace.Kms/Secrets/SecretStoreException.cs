namespace Carapace.Kms.Secrets;

/// <summary>The secret store cannot be read: wrong master key, or a tampered row. The message never contains a value.</summary>
public sealed class SecretStoreException : Exception
{
    /// <summary>Creates the error.</summary>
    public SecretStoreException(SecretStoreError error, string message, Exception? inner = null)
        : base(message, inner)
    {
        Error = error;
    }

    /// <summary>What went wrong.</summary>
    public SecretStoreError Error { get; }
}
