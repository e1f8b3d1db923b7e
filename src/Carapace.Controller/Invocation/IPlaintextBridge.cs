using System.Text.Json;
using Carapace.Controller.Registry;
using Carapace.Envelope.Format;

namespace Carapace.Controller.Invocation;

/// <summary>
/// The trusted edge's side of actions deployed with <c>confidential: false</c>: such actions still run in enclaves
/// and still exchange envelopes with them, but the edge (not the client) holds their keys, opens their results into
/// OpenWhisk JSON for the activation record, and re-seals one step's output as the next step's input. The controller
/// calls it and never sees a key.
/// </summary>
public interface IPlaintextBridge
{
    /// <summary>Seals a plaintext request for the first step, <paramref name="action"/> (called by the edge, never by the controller).</summary>
    byte[] Seal(ActionRecord action, RequestId requestId, ReadOnlySpan<byte> payload);

    /// <summary>What a finished step of a plaintext action returned, for its activation record.</summary>
    /// <param name="action">The step's action.</param>
    /// <param name="sealedOutput">The enclave's sealed output (may be empty).</param>
    /// <param name="sealedLog">The enclave's sealed log (may be empty).</param>
    PlaintextStep Open(ActionRecord action, ReadOnlyMemory<byte> sealedOutput, ReadOnlyMemory<byte> sealedLog);

    /// <summary>Re-seals the output of <paramref name="from"/> as the input of <paramref name="to"/> (same request).</summary>
    /// <exception cref="Envelope.EnvelopeException">The output does not open under <paramref name="from"/>'s key.</exception>
    byte[] Forward(ActionRecord from, ActionRecord to, RequestId requestId, ReadOnlyMemory<byte> sealedOutput);
}

/// <summary>A plaintext step's result as OpenWhisk shows it.</summary>
/// <param name="Result">The JSON result object.</param>
/// <param name="Logs">The function's log as UTF-8 text (empty when none).</param>
public sealed record PlaintextStep(JsonElement Result, byte[] Logs);
