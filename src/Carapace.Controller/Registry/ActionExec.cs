namespace Carapace.Controller.Registry;

/// <summary>
/// The code of an action as a client submits it: a WebAssembly module (public code; its hash is part of the enclave's
/// measurement) or a sequence of fully qualified action names.
/// </summary>
public sealed class ActionExec
{
    /// <summary>The largest module the registry stores (48 MiB, OpenWhisk's default code size limit).</summary>
    public const int MaxModuleBytes = 48 * 1024 * 1024;

    /// <summary>The largest JavaScript source the registry stores (8 MiB; the JavaScript enclave's limit, JavaScriptSettings.MaxSourceBytes).</summary>
    public const int MaxJavaScriptBytes = 8 * 1024 * 1024;

    /// <summary>The largest file-system image the registry stores (256 MiB; the gateway's request limit may be lower).</summary>
    public const int MaxImageBytes = 256 * 1024 * 1024;

    /// <summary>The most components a sequence may have (OpenWhisk: 50).</summary>
    public const int MaxSequenceComponents = 50;

    /// <summary>
    /// The most actions a sequence may run once nested sequences are flattened (OpenWhisk's <c>actionSequenceLimit</c>:
    /// 50); checked when a sequence is stored and again when it is invoked.
    /// </summary>
    public const int MaxSequenceSteps = 50;

    /// <summary>The deepest sequences may nest (the invoked sequence is level 1), so that expanding one reads a bounded number of records.</summary>
    public const int MaxSequenceDepth = 16;

    private ActionExec(string kind, ReadOnlyMemory<byte> module, IReadOnlyList<string> components, ActionImageUpload? image, string? main = null)
    {
        Main = main;
        Kind = kind;
        Module = module;
        Components = components;
        Image = image;
    }

    /// <summary><see cref="ActionKinds.Wasm"/> or <see cref="ActionKinds.Sequence"/>.</summary>
    public string Kind { get; }

    /// <summary>The module bytes of a <c>wasm:wasi</c> action; empty for a sequence.</summary>
    public ReadOnlyMemory<byte> Module { get; }

    /// <summary>The components (<c>/ns/name</c>) of a sequence, in order; empty for a module.</summary>
    public IReadOnlyList<string> Components { get; }

    /// <summary>The file-system image of a <c>wasm:wasi</c> action, mounted read-only at /data; null for none.</summary>
    public ActionImageUpload? Image { get; }

    /// <summary>A <c>wasm:wasi</c> action running <paramref name="module"/>, with <paramref name="image"/> at /data if given.</summary>
    public static ActionExec Wasm(ReadOnlyMemory<byte> module, ActionImageUpload? image = null) => new(ActionKinds.Wasm, module, [], image);

    /// <summary>A JavaScript action's entry point (<c>exec.main</c>, default <c>main</c>); null for other kinds.</summary>
    public string? Main { get; }

    /// <summary>
    /// A JavaScript action of <paramref name="kind"/> (<c>nodejs:…</c>) whose source is <paramref name="source"/> (UTF-8)
    /// and entry point <paramref name="main"/>, with <paramref name="image"/> if given (for sealed source).
    /// </summary>
    public static ActionExec JavaScript(string kind, ReadOnlyMemory<byte> source, string main, ActionImageUpload? image = null) => new(kind, source, [], image, main);

    /// <summary>A sequence of the given fully qualified action names.</summary>
    public static ActionExec Sequence(IEnumerable<string> components)
    {
        ArgumentNullException.ThrowIfNull(components);
        return new(ActionKinds.Sequence, ReadOnlyMemory<byte>.Empty, [.. components], null);
    }
}
