namespace Carapace.Worker.Enclaves;

/// <summary>An enclave refused a request, failed to start, crashed, or broke the protocol. The message never carries function data.</summary>
public sealed class EnclaveException(string message, bool enclaveLost, Exception? inner = null, string? reason = null) : Exception(message, inner)
{
    /// <summary>True when the enclave process is gone (crashed, killed, or unusable) and must be replaced.</summary>
    public bool EnclaveLost { get; } = enclaveLost;

    /// <summary>The enclave's <see cref="Protocol.FailureReason"/> when it refused a request for one the host can act on, else null.</summary>
    public string? Reason { get; } = reason;
}
