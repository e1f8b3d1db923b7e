namespace Carapace.Functions;

/// <summary>
/// The settings of the JavaScript enclave's engine (Jint) that are not in the function's manifest, written once: they
/// go into the JavaScript runtime's identity, so a change of them changes every JavaScript function's measurement.
/// The per-function limits (memory, time, statement budget) come from the manifest.
/// </summary>
public static class JavaScriptSettings
{
    /// <summary>The engine's version, as the package is pinned in Directory.Packages.props.</summary>
    public const string EngineVersion = "jint-4.18.0";

    /// <summary>How deep JavaScript calls may nest before a <c>RangeError</c> (besides the native-stack guard).</summary>
    public const int MaxRecursionDepth = 2_000;

    /// <summary>The largest array the engine creates (elements).</summary>
    public const uint MaxArrayElements = 16_000_000;

    /// <summary>How long one regular-expression match may run.</summary>
    public static readonly TimeSpan RegexTimeout = TimeSpan.FromSeconds(2);

    /// <summary>How many statements run between two checks of the heap against the memory limit.</summary>
    public const int MemoryCheckInterval = 256;

    /// <summary>The largest JavaScript source a function may have (bytes of UTF-8; OpenWhisk's code limit is 48 MiB, an interpreter's parse of that much is not useful).</summary>
    public const int MaxSourceBytes = 8 * 1024 * 1024;

    /// <summary>A canonical description of the settings above and the globals the enclave defines.</summary>
    public const string Description =
        EngineVersion + ";strict=off;interop=off;string-compilation=on;stack-guard=on;recursion=2000;max-array=16000000;regex-timeout=2s;memory-check=256;"
        + "globals(console,process.env,TextEncoder,TextDecoder,Buffer,crypto.getRandomValues,crypto.randomUUID,atob,btoa,setTimeout=microtask)";
}
