namespace Carapace.Envelope.Keys;

/// <summary>A key file could not be read or written: missing, unreadable, too widely readable, or not a Carapace key.</summary>
public sealed class KeyFileException : Exception
{
    /// <summary>Creates the error; the message never contains key bytes.</summary>
    public KeyFileException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
