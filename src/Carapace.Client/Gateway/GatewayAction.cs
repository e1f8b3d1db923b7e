using System.Text.Json;

namespace Carapace.Client.Gateway;

/// <summary>An action as the gateway returns it (OpenWhisk's shape); <see cref="Json"/> holds the whole document.</summary>
public sealed record GatewayAction
{
    /// <summary>The namespace it lives in.</summary>
    public required string Namespace { get; init; }

    /// <summary>Its name.</summary>
    public required string Name { get; init; }

    /// <summary>Its semantic version, bumped by every update (e.g. <c>0.0.2</c>).</summary>
    public required string Version { get; init; }

    /// <summary><c>wasm:wasi</c>, a JavaScript kind (<c>nodejs:default</c>, <c>nodejs:20</c>, …) or <c>sequence</c>.</summary>
    public required string Kind { get; init; }

    /// <summary>Memory limit in MiB.</summary>
    public int MemoryMiB { get; init; }

    /// <summary>Time limit in milliseconds.</summary>
    public int TimeoutMs { get; init; }

    /// <summary>True when input and output are sealed envelopes.</summary>
    public bool Confidential { get; init; }

    /// <summary>Whether other namespaces may use it.</summary>
    public bool Publish { get; init; }

    /// <summary>When it was last stored.</summary>
    public DateTimeOffset Updated { get; init; }

    /// <summary>The module, or a JavaScript action's source as UTF-8, when the answer carried it (not in lists, nor with <c>code=false</c>).</summary>
    public ReadOnlyMemory<byte>? Code { get; init; }

    /// <summary>A JavaScript action's entry point (<c>exec.main</c>); null for other kinds.</summary>
    public string? Main { get; init; }

    /// <summary>Whether this is a JavaScript action (one of OpenWhisk's <c>nodejs</c> kinds).</summary>
    public bool IsJavaScript => JavaScriptKind.Is(Kind);

    /// <summary>A sequence's components (fully qualified names); empty for a module.</summary>
    public IReadOnlyList<string> Components { get; init; } = [];

    /// <summary>The annotations (key to JSON value), including <c>exec</c> and <c>confidential</c>.</summary>
    public IReadOnlyDictionary<string, JsonElement> Annotations { get; init; } = new Dictionary<string, JsonElement>();

    /// <summary>The default parameters (key to JSON value).</summary>
    public IReadOnlyDictionary<string, JsonElement> Parameters { get; init; } = new Dictionary<string, JsonElement>();

    /// <summary>The document as received.</summary>
    public JsonElement Json { get; init; }
}
