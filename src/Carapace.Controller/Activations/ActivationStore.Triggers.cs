using System.Text;
using System.Text.Json;
using Carapace.Controller.Storage;

namespace Carapace.Controller.Activations;

/// <summary>Trigger activations: recorded whole, once the rules of a firing have been dispatched.</summary>
public sealed partial class ActivationStore
{
    /// <summary>
    /// Records the activation of a fired trigger, finished, as OpenWhisk's controller writes it: in the firing subject's
    /// namespace, named like the trigger, a success whose result is <see cref="TriggerActivation.Result"/> (the payload), and whose
    /// logs are <see cref="TriggerActivation.Logs"/> — one JSON line per rule, saying which activation it caused or why none. Public
    /// metadata only: a sealed payload is represented by its size and digest, never its bytes.
    /// </summary>
    public ActivationRecord RecordTrigger(TriggerActivation activation)
    {
        ArgumentNullException.ThrowIfNull(activation);
        var id = ActivationId.New();
        var end = Math.Max(_time.GetUtcNow().ToUnixTimeMilliseconds(), activation.Start.ToUnixTimeMilliseconds());
        var text = string.Concat(activation.Logs.Select(l => l + "\n"));
        var logs = Encoding.UTF8.GetBytes(text);
        var digest = BlobDigest.Of(logs);
        using var connection = _db.Open();
        using var transaction = _db.BeginWrite(connection);
        StoreDatabase.Execute(connection, """
            INSERT INTO activations (activation_id, namespace, name, version, subject, confidential, start_ms, end_ms, status, result,
                logs_size, logs_sha256, annotations)
            VALUES (@id, @ns, @name, @version, @subject, 0, @start, @end, @status, @result, @logsSize, @logsSha, @annotations)
            """,
            ("@id", id.ToString()), ("@ns", activation.Namespace), ("@name", activation.Trigger), ("@version", activation.Version),
            ("@subject", activation.Subject), ("@start", activation.Start.ToUnixTimeMilliseconds()), ("@end", end),
            ("@status", ActivationStatus.Success.ToWire()), ("@result", activation.Result.GetRawText()),
            ("@logsSize", digest.Size), ("@logsSha", digest.Sha256), ("@annotations", KeyValue.Serialize([])));
        StoreDatabase.Execute(connection, "INSERT INTO activation_logs (activation_id, bytes) VALUES (@id, @bytes)",
            ("@id", id.ToString()), ("@bytes", logs));
        transaction.Commit();
        return Read(connection, id) ?? throw new InvalidOperationException($"the trigger activation {id} was not recorded");
    }
}

/// <summary>What a fired trigger's activation records.</summary>
public sealed record TriggerActivation
{
    /// <summary>The namespace of the subject that fired it (the trigger's own).</summary>
    public required string Namespace { get; init; }

    /// <summary>The trigger's name.</summary>
    public required string Trigger { get; init; }

    /// <summary>The trigger's version.</summary>
    public required string Version { get; init; }

    /// <summary>Who fired it.</summary>
    public required string Subject { get; init; }

    /// <summary>When the firing began.</summary>
    public required DateTimeOffset Start { get; init; }

    /// <summary>The result: the payload as fired (a JSON object), or the metadata of a sealed payload.</summary>
    public required JsonElement Result { get; init; }

    /// <summary>One line per rule of the trigger: OpenWhisk's JSON of what the rule did.</summary>
    public required IReadOnlyList<string> Logs { get; init; }
}
