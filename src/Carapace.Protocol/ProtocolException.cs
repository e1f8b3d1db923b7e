namespace Carapace.Protocol;

/// <summary>The peer broke the protocol: a bad frame, an unexpected message, a malformed body, or a closed channel.</summary>
public sealed class ProtocolException(string message, Exception? inner = null) : Exception(message, inner);
