namespace Carapace.Functions;

/// <summary>
/// One of the native enclave programs a Carapace build publishes, each measured on its own: <see cref="Wasi"/> runs
/// WebAssembly command modules under Carapace's WASI (Wasmtime), <see cref="JavaScript"/> runs OpenWhisk's
/// <c>nodejs</c> actions (Jint, an interpreter written in C#). They share the enclave's host code (protocol, sealing,
/// receipts, KMS client, shields) but are separate executables, so the JavaScript engine adds nothing to the size,
/// start or memory of a WASI enclave, and a WASI function's measurement never covers it.
/// </summary>
public sealed class EnclaveRuntime
{
    private EnclaveRuntime(string name, string executable, IReadOnlyList<string> files, string engineSettings, string referenceValuesFile)
    {
        Name = name;
        Executable = executable;
        Files = files;
        EngineSettingsDescription = engineSettings;
        ReferenceValuesFileName = referenceValuesFile;
    }

    /// <summary>The WebAssembly (WASI preview 1) enclave: <c>Carapace.Enclave</c> beside <c>libwasmtime.so</c>.</summary>
    public static EnclaveRuntime Wasi { get; } = new("wasi", RuntimeIdentity.Executable, [RuntimeIdentity.Executable, RuntimeIdentity.WasmtimeLibrary],
        EngineSettings.Description, ReferenceValues.FileName);

    /// <summary>The JavaScript enclave: the one executable <c>Carapace.Enclave.Js</c> (Jint is compiled into it).</summary>
    public static EnclaveRuntime JavaScript { get; } = new("js", "Carapace.Enclave.Js", ["Carapace.Enclave.Js"],
        JavaScriptSettings.Description, "reference-values-js.json");

    /// <summary>Both runtimes.</summary>
    public static IReadOnlyList<EnclaveRuntime> All { get; } = [Wasi, JavaScript];

    /// <summary>A short name: <c>wasi</c> or <c>js</c>.</summary>
    public string Name { get; }

    /// <summary>The native executable's file name.</summary>
    public string Executable { get; }

    /// <summary>The files hashed into the runtime identity, in order: every file the process maps from disk for its code.</summary>
    public IReadOnlyList<string> Files { get; }

    /// <summary>The engine settings the identity covers.</summary>
    public string EngineSettingsDescription { get; }

    /// <summary>The name of this runtime's reference-values file, beside the native enclaves.</summary>
    public string ReferenceValuesFileName { get; }

    /// <summary>The runtime that runs functions of <paramref name="manifest"/>: JavaScript when it names a JavaScript entry point.</summary>
    public static EnclaveRuntime For(FunctionManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return manifest.JavaScriptMain is null ? Wasi : JavaScript;
    }

    /// <inheritdoc/>
    public override string ToString() => Name;
}
