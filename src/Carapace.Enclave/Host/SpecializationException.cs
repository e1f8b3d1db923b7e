namespace Carapace.Enclave.Host;

/// <summary>A request the enclave refuses; the message (never secret) goes back to the host.</summary>
internal sealed class SpecializationException(string message) : Exception(message);
