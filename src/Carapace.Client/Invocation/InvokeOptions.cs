namespace Carapace.Client.Invocation;

/// <summary>
/// How <see cref="CarapaceClient.InvokeAsync(string, ReadOnlyMemory{byte}, InvokeOptions?, CancellationToken)"/> (which waits
/// for the result, polling when the gateway's blocking wait runs out) and <see cref="CarapaceClient.StartAsync"/> (which
/// does not) invoke.
/// </summary>
public sealed class InvokeOptions
{
    /// <summary>
    /// True (the default): every step's receipt must verify against the KMS's quoting key, name the measurement the
    /// policy accepts for the step's function, and link the sealed input to the sealed output; otherwise the output
    /// is not returned.
    /// </summary>
    public bool VerifyReceipts { get; init; } = true;

    /// <summary>The content type recorded in the sealed input's authenticated metadata.</summary>
    public string ContentType { get; init; } = "application/octet-stream";
}
