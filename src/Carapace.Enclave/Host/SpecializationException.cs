namespace Carapace.Enclave.Host;

/// <summary>A request the enclave refuses; the message (never secret) goes back to the host, with a <see cref="Protocol.FailureReason"/> when the host may act on it.</summary>
internal sealed class SpecializationException(string message, string? reason = null) : Exception(message)
{
    public string? Reason { get; } = reason;
}
