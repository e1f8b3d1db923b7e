namespace Carapace.Controller.Registry;

/// <summary>The <c>exec.kind</c> values the registry accepts.</summary>
public static class ActionKinds
{
    /// <summary>A WebAssembly module run under WASI preview 1 inside an enclave.</summary>
    public const string Wasm = "wasm:wasi";

    /// <summary>OpenWhisk's JavaScript kind without a version: JavaScript source run by the JavaScript enclave.</summary>
    public const string NodeJsDefault = "nodejs:default";

    /// <summary>The prefix of OpenWhisk's JavaScript kinds (<c>nodejs:default</c>, <c>nodejs:20</c>, …).</summary>
    public const string NodeJsPrefix = "nodejs:";

    /// <summary>
    /// Whether <paramref name="kind"/> is one of OpenWhisk's JavaScript kinds: <c>nodejs:default</c> or <c>nodejs:N</c>
    /// (N a version number, e.g. <c>nodejs:20</c>). All of them run in the same JavaScript enclave (Jint, ECMAScript
    /// 2024 and Carapace's small set of Node.js globals); the version a client names is kept as given.
    /// </summary>
    public static bool IsNodeJs(string? kind) =>
        kind is not null && kind.StartsWith(NodeJsPrefix, StringComparison.Ordinal)
        && (kind == NodeJsDefault || (kind.Length is > 7 and <= 10 && kind.AsSpan(NodeJsPrefix.Length).ContainsAnyExceptInRange('0', '9') == false));

    /// <summary>An OpenWhisk sequence: a chain of other actions.</summary>
    public const string Sequence = "sequence";
}
