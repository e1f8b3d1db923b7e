namespace Carapace.Kms.Client;

/// <summary>A KMS key file (owner signing key, KMS master key) is missing, unreadable, too widely readable or damaged.</summary>
public sealed class KmsKeyFileException : Exception
{
    /// <summary>Creates the error; the message names the file and never contains key bytes.</summary>
    public KmsKeyFileException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
