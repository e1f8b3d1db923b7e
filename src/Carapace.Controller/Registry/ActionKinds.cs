namespace Carapace.Controller.Registry;

/// <summary>The <c>exec.kind</c> values the registry accepts.</summary>
public static class ActionKinds
{
    /// <summary>A WebAssembly module run under WASI preview 1 inside an enclave.</summary>
    public const string Wasm = "wasm:wasi";

    /// <summary>An OpenWhisk sequence: a chain of other actions.</summary>
    public const string Sequence = "sequence";
}
