using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Carapace.Controller.Invocation;
using Carapace.Controller.Registry;
using Carapace.Envelope;
using Carapace.Envelope.Format;
using Carapace.Envelope.Sealing;
using Carapace.Functions.Provisioning;
using Carapace.Gateway.Actions;
using Carapace.Protocol;

namespace Carapace.Gateway.Invocations;

/// <summary>
/// The trusted edge's keys for actions deployed with <c>confidential: false</c>: one in-memory
/// <see cref="ProvisioningPlan"/> per action version (a fresh master key, the action's one-step chain), which provisions
/// the action's enclaves directly (no KMS) and seals and opens its payloads for the gateway. The keys never leave this
/// process except sealed to an enclave, and vanish when it stops. The host that composes the gateway with a worker
/// hands the worker only <see cref="ProvisionerFor"/>: sealed provisioning, never a key.
/// </summary>
public sealed class PlaintextBridge : IPlaintextBridge, IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<ProvisioningPlan>> _plans = new(StringComparer.Ordinal);
    private readonly Func<ActionRecord, byte[]> _module;

    /// <summary>Creates the bridge; <paramref name="module"/> gives an action's WebAssembly module.</summary>
    public PlaintextBridge(Func<ActionRecord, byte[]> module) => _module = module;

    /// <summary>
    /// Makes (once per version) the keys of <paramref name="action"/> and returns how each of its enclaves is provisioned
    /// with them: for the enclave that announced itself with a <see cref="ReadyMessage"/>, a session whose provisioning
    /// only that enclave can open.
    /// </summary>
    /// <exception cref="ActionNotRunnableException">The stored action makes no valid manifest.</exception>
    public Func<ReadyMessage, IProvisioningSession> ProvisionerFor(ActionRecord action) => PlanFor(action).ProvisionFor;

    /// <inheritdoc/>
    public byte[] Seal(ActionRecord action, RequestId requestId, ReadOnlySpan<byte> payload) =>
        EnvelopeSealer.Seal(PlanFor(action).Input, payload, new SealOptions
        {
            RequestId = requestId,
            Function = action.Name.Name,
            ContentType = "application/json",
        });

    /// <inheritdoc/>
    public PlaintextStep Open(ActionRecord action, ReadOnlyMemory<byte> sealedOutput, ReadOnlyMemory<byte> sealedLog)
    {
        var plan = PlanFor(action);
        var logs = Array.Empty<byte>();
        if (sealedLog.Length > 0)
        {
            try
            {
                using var log = EnvelopeOpener.Open(plan.Log, sealedLog.Span);
                logs = log.Payload.ToArray();
            }
            catch (EnvelopeException e)
            {
                logs = Encoding.UTF8.GetBytes($"[the log did not open: {e.Message}]");
            }
        }

        if (sealedOutput.Length == 0)
        {
            return new PlaintextStep(JsonSerializer.SerializeToElement(new { }), logs);
        }

        try
        {
            using var output = EnvelopeOpener.Open(plan.Output, sealedOutput.Span);
            return new PlaintextStep(ResultOf(output.Payload.Span), logs);
        }
        catch (EnvelopeException e)
        {
            return new PlaintextStep(JsonSerializer.SerializeToElement(new { error = $"the output did not open: {e.Message}" }), logs);
        }
    }

    /// <inheritdoc/>
    public byte[] Forward(ActionRecord from, ActionRecord to, RequestId requestId, ReadOnlyMemory<byte> sealedOutput)
    {
        using var output = EnvelopeOpener.Open(PlanFor(from).Output, sealedOutput.Span);
        return Seal(to, requestId, output.Payload.Span);
    }

    /// <summary>Zeroes every plan's keys.</summary>
    public void Dispose()
    {
        foreach (var plan in _plans.Values.Where(p => p.IsValueCreated))
        {
            plan.Value.Dispose();
        }

        _plans.Clear();
    }

    /// <summary>
    /// OpenWhisk's result object for a function's stdout: the stdout itself when it is a JSON object, otherwise
    /// <c>{"output": "&lt;stdout as text&gt;"}</c>.
    /// </summary>
    internal static JsonElement ResultOf(ReadOnlySpan<byte> stdout)
    {
        try
        {
            var reader = new Utf8JsonReader(stdout);
            if (JsonElement.TryParseValue(ref reader, out var parsed) && parsed is { ValueKind: JsonValueKind.Object } json)
            {
                return json;
            }
        }
        catch (JsonException)
        {
            // Not JSON: wrapped below.
        }

        return JsonSerializer.SerializeToElement(new { output = Encoding.UTF8.GetString(stdout) });
    }

    /// <summary>The plan of <paramref name="action"/>'s version.</summary>
    private ProvisioningPlan PlanFor(ActionRecord action)
    {
        var key = $"{action.Name.Path}@{action.Version}@{action.Updated.UtcTicks}";
        return _plans.GetOrAdd(key, _ => new Lazy<ProvisioningPlan>(() =>
            ProvisioningPlan.Create(_module(action), ActionFunctions.ManifestOf(action), chainId: InvocationService.ChainIdOf(action.Name)))).Value;
    }
}
