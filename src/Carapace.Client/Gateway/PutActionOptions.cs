using System.Text.Json.Nodes;

namespace Carapace.Client.Gateway;

/// <summary>What <see cref="GatewayClient.PutActionAsync"/> sends besides the module.</summary>
public sealed class PutActionOptions
{
    /// <summary>The memory limit in MiB; the platform default (or, on update, the current limit) when null.</summary>
    public int? MemoryMiB { get; init; }

    /// <summary>The time limit in milliseconds; the platform default (or, on update, the current limit) when null.</summary>
    public int? TimeoutMs { get; init; }

    /// <summary>OpenWhisk annotations (key to JSON value); <c>exec</c> and <c>confidential</c> are set by the platform.</summary>
    public IReadOnlyDictionary<string, JsonNode?>? Annotations { get; init; }

    /// <summary>OpenWhisk default parameters (key to JSON value).</summary>
    public IReadOnlyDictionary<string, JsonNode?>? Parameters { get; init; }

    /// <summary>True (the default) for a confidential action (sealed input and output); false for plaintext JSON.</summary>
    public bool Confidential { get; init; } = true;

    /// <summary>A file-system image (from <c>carapace pack</c>) sent as <c>exec.image</c>, mounted at /data; null for none.</summary>
    public ReadOnlyMemory<byte>? Image { get; init; }

    /// <summary>
    /// The kind: null or <c>wasm:wasi</c> for a WebAssembly module (sent as base64), or one of OpenWhisk's JavaScript
    /// kinds (<c>nodejs:default</c>, <c>nodejs:20</c>, …), whose code is UTF-8 JavaScript source sent as text.
    /// </summary>
    public string? Kind { get; init; }

    /// <summary>A JavaScript action's entry point (<c>exec.main</c>); null for the default, <c>main</c>.</summary>
    public string? Main { get; init; }

    /// <summary>Replace an existing action of the same name (a new version); without it an existing one is a 409.</summary>
    public bool Overwrite { get; init; }

    /// <summary>Told how much of the request (the module, base64 in JSON) has been sent; for progress bars.</summary>
    public IProgress<UploadProgress>? UploadProgress { get; init; }
}
