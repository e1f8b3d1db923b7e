using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Carapace.Controller;
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
    private readonly TimeProvider _time;

    /// <summary>
    /// Creates the bridge; <paramref name="module"/> gives an action's WebAssembly module, <paramref name="time"/> the
    /// time stamped on log lines.
    /// </summary>
    public PlaintextBridge(Func<ActionRecord, byte[]> module, TimeProvider? time = null)
    {
        _module = module;
        _time = time ?? TimeProvider.System;
    }

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
                logs = LogLines(log.Payload.Span, _time.GetUtcNow());
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
    /// <remarks>
    /// As OpenWhisk's sequences: the next step's input is the step's result object (<see cref="ResultOf"/>), with the
    /// next action's default parameters under it.
    /// </remarks>
    public byte[] Forward(ActionRecord from, ActionRecord to, RequestId requestId, ReadOnlyMemory<byte> sealedOutput)
    {
        ArgumentNullException.ThrowIfNull(to);
        using var output = EnvelopeOpener.Open(PlanFor(from).Output, sealedOutput.Span);
        var input = JsonObject.Create(ResultOf(output.Payload.Span))!;
        return Seal(to, requestId, JsonSerializer.SerializeToUtf8Bytes(WithDefaults(input, to.Parameters)));
    }

    /// <summary>
    /// <paramref name="parameters"/> with each of <paramref name="defaults"/> it does not set: OpenWhisk's precedence,
    /// the invocation's parameters over the action's own.
    /// </summary>
    public static JsonObject WithDefaults(JsonObject parameters, IEnumerable<KeyValue> defaults)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(defaults);
        foreach (var parameter in defaults)
        {
            if (!parameters.ContainsKey(parameter.Key))
            {
                parameters[parameter.Key] = JsonNode.Parse(parameter.Value.GetRawText());
            }
        }

        return parameters;
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

    /// <summary>
    /// A function's stderr as OpenWhisk's invoker records log lines: <c>&lt;ISO-8601 time, padded to 30&gt; stderr: &lt;line&gt;</c>,
    /// one per line (stdout is the result, so every line is stderr). The time is <paramref name="at"/>, when the step's
    /// log came back: the enclave returns a function's stderr whole at the end, so all lines of a step share it.
    /// </summary>
    internal static byte[] LogLines(ReadOnlySpan<byte> stderr, DateTimeOffset at)
    {
        var text = Encoding.UTF8.GetString(stderr);
        if (text.Length == 0)
        {
            return [];
        }

        var stamp = at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture).PadRight(30);
        var lines = text.Split('\n');
        var count = text.EndsWith('\n') ? lines.Length - 1 : lines.Length;
        var formatted = new StringBuilder(text.Length + (count * 40));
        for (var i = 0; i < count; i++)
        {
            formatted.Append(stamp).Append(" stderr: ").Append(lines[i].TrimEnd('\r')).Append('\n');
        }

        return Encoding.UTF8.GetBytes(formatted.ToString());
    }

    /// <summary>The plan of <paramref name="action"/>'s version.</summary>
    private ProvisioningPlan PlanFor(ActionRecord action)
    {
        var key = $"{action.Name.Path}@{action.Version}@{action.Updated.UtcTicks}";
        return _plans.GetOrAdd(key, _ => new Lazy<ProvisioningPlan>(() =>
            ProvisioningPlan.Create(_module(action), ActionFunctions.ManifestOf(action), chainId: InvocationService.ChainIdOf(action.Name)))).Value;
    }
}
