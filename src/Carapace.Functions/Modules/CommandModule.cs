using System.Text;
using Wasmtime;

namespace Carapace.Functions.Modules;

/// <summary>
/// The code of a <c>wasm:wasi</c> function: a WebAssembly command module for WASI preview 1 that Carapace's enclave
/// can run — valid per the WebAssembly specification (checked by Wasmtime, with the feature set the enclave's engine
/// has), importing only <see cref="ProvidedImports"/> with their exact signatures, exporting a <c>_start</c> function
/// that takes and returns nothing and a 32-bit <c>memory</c>, and within the enclave's instance limits (one memory,
/// unshared; at most one table of at most <see cref="MaxTableElements"/> initial elements). Nothing is compiled:
/// validation is a linear pass (about a millisecond for a 30 KB module).
/// </summary>
public static class CommandModule
{
    /// <summary>The function a command's instance runs.</summary>
    public const string StartExport = "_start";

    /// <summary>The memory WASI functions read and write.</summary>
    public const string MemoryExport = "memory";

    /// <summary>Most memories an instance may have (the enclave's instance pool).</summary>
    public const int MaxMemories = 1;

    /// <summary>Most tables an instance may have (the enclave's instance pool).</summary>
    public const int MaxTables = 1;

    /// <summary>Most initial elements of a table (the enclave's instance pool).</summary>
    public const int MaxTableElements = 20_000;

    /// <summary>What Carapace runs and how to build it, worded for every kind this build supports.</summary>
    public const string Guidance =
        "This build of Carapace runs actions of kind wasm:wasi: WebAssembly command modules for WASI preview 1 (a program with a main "
        + "function); compile one for the wasm32-wasip1 target, e.g. 'cargo build --target wasm32-wasip1' or 'clang --target=wasm32-wasip1' (wasi-sdk)";

    private const int MaxListedImports = 5;

    private static readonly Lazy<Engine> s_engine = new(() => new Engine());

    /// <summary>Every problem that keeps <paramref name="module"/> from running as a Carapace function.</summary>
    public static ModuleValidation Validate(ReadOnlySpan<byte> module)
    {
        if (module.IsEmpty)
        {
            return Fail("is empty");
        }

        if (!ModuleInterface.HasMagic(module))
        {
            return Fail(NotWebAssembly(module));
        }

        if (module.Length < 8)
        {
            return Fail("is cut short: it ends inside the WebAssembly header");
        }

        var version = module[4..8];
        if (version.SequenceEqual((ReadOnlySpan<byte>)[0x0D, 0x00, 0x01, 0x00]))
        {
            return Fail("is a WebAssembly component (the component model, WASI preview 2), not a core module");
        }

        if (!version.SequenceEqual((ReadOnlySpan<byte>)[0x01, 0x00, 0x00, 0x00]))
        {
            return Fail($"is WebAssembly of binary version {Convert.ToHexString(version)}, not of version 1 (01000000)");
        }

        if (Module.Validate(s_engine.Value, module) is { } error)
        {
            return Fail("is not valid WebAssembly: " + Condense(error));
        }

        ModuleInterface parsed;
        try
        {
            parsed = ModuleInterface.Parse(module);
        }
        catch (ModuleFormatException e)
        {
            return Fail("cannot be read by Carapace: " + e.Message);
        }

        var problems = new List<string>();
        CheckImports(parsed, problems);
        CheckExports(parsed, problems);
        CheckInstanceLimits(parsed, problems);
        return new ModuleValidation(problems, parsed);
    }

    private static void CheckImports(ModuleInterface module, List<string> problems)
    {
        var unknown = new List<ModuleImport>();
        foreach (var import in module.Imports)
        {
            if (import.Kind != ExternalKind.Function)
            {
                problems.Add($"imports the {KindName(import.Kind)} '{import.Module}.{import.Name}'; a Carapace function may import only WASI preview 1 functions");
            }
            else if (ProvidedImports.Find(import.Module, import.Name) is not { } provided)
            {
                unknown.Add(import);
            }
            else if (!provided.Equals(import.Signature))
            {
                problems.Add($"imports '{import.Module}.{import.Name}' as {import.Signature}, but WASI preview 1 defines it as {provided}");
            }
        }

        if (unknown.Count > 0)
        {
            var listed = string.Join(", ", unknown.Take(MaxListedImports).Select(i => $"'{i.Module}.{i.Name}'"));
            var more = unknown.Count > MaxListedImports ? $" and {unknown.Count - MaxListedImports} more" : "";
            problems.Add($"imports {listed}{more}, which Carapace does not provide (it provides the functions of {ProvidedImports.Module}){Hint(unknown)}");
        }
    }

    private static string Hint(List<ModuleImport> unknown)
    {
        if (unknown.Any(i => i.Module == "wasi_unstable"))
        {
            return "; 'wasi_unstable' is the older WASI snapshot: rebuild for wasm32-wasip1";
        }

        if (unknown.Any(i => i.Module.StartsWith("wasi:", StringComparison.Ordinal)))
        {
            return "; 'wasi:' interfaces are WASI preview 2: rebuild for wasm32-wasip1";
        }

        return unknown.Any(i => i.Module == "env")
            ? "; 'env' imports are usually symbols left undefined at link time, or a JavaScript (Emscripten) target"
            : "";
    }

    private static void CheckExports(ModuleInterface module, List<string> problems)
    {
        var start = module.Exports.FirstOrDefault(e => e.Name == StartExport);
        if (start is null)
        {
            problems.Add(module.Exports.Any(e => e.Name == "_initialize")
                ? "exports no '_start' function: it is a reactor (a library, with '_initialize'), not a command; build a program with a main function"
                : "exports no '_start' function, so it is not a WASI command (a program with a main function)");
        }
        else if (start.Kind != ExternalKind.Function)
        {
            problems.Add($"exports '_start' as a {KindName(start.Kind)}, not a function");
        }
        else if (start.Signature is not { Parameters.Count: 0, Results.Count: 0 })
        {
            problems.Add($"exports '_start' as {start.Signature}; a command's '_start' takes no parameters and returns nothing");
        }

        var memory = module.Exports.FirstOrDefault(e => e.Name == MemoryExport);
        if (memory is null)
        {
            problems.Add("exports no 'memory' (WASI preview 1 functions read and write the module's exported memory)");
        }
        else if (memory.Kind != ExternalKind.Memory)
        {
            problems.Add($"exports 'memory' as a {KindName(memory.Kind)}, not a memory");
        }
        else if (memory.Memory is { Is64Bit: true })
        {
            problems.Add("exports a 64-bit memory; WASI preview 1 passes 32-bit pointers");
        }
    }

    private static void CheckInstanceLimits(ModuleInterface module, List<string> problems)
    {
        if (module.Memories.Count > MaxMemories)
        {
            problems.Add($"has {module.Memories.Count} memories; a Carapace function has at most {MaxMemories}");
        }

        if (module.Memories.Any(m => m.IsShared))
        {
            problems.Add("has a shared memory; a Carapace function runs on one thread and cannot have one");
        }

        if (module.TableMinimums.Count > MaxTables)
        {
            problems.Add($"has {module.TableMinimums.Count} tables; a Carapace function has at most {MaxTables}");
        }

        foreach (var minimum in module.TableMinimums.Where(m => m > MaxTableElements).Take(1))
        {
            problems.Add($"has a table of {minimum} initial elements; a Carapace function's table starts with at most {MaxTableElements}");
        }
    }

    private static ModuleValidation Fail(string problem) => new([problem], null);

    /// <summary>What a file that is not WebAssembly starts with, for the message.</summary>
    private static string NotWebAssembly(ReadOnlySpan<byte> bytes)
    {
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0x7F, 0x45, 0x4C, 0x46]))
        {
            return "is not a WebAssembly module: it is a native executable (ELF)";
        }

        var head = bytes[..Math.Min(bytes.Length, 64)];
        var text = IsText(head) ? Encoding.UTF8.GetString(head).TrimStart() : null;
        if (text is not null && text.StartsWith("(module", StringComparison.Ordinal))
        {
            return "is WebAssembly text (WAT), not a binary module; convert it with 'wasm-tools parse' or 'wat2wasm'";
        }

        var shown = bytes[..Math.Min(bytes.Length, 12)];
        return IsText(shown)
            ? $"is not a WebAssembly module (it starts with \"{Escape(Encoding.UTF8.GetString(shown))}\", not with the bytes 00 61 73 6d, '\\0asm')"
            : $"is not a WebAssembly module (it starts with the bytes {Convert.ToHexString(shown).ToLowerInvariant()}, not with 0061736d, '\\0asm')";
    }

    private static bool IsText(ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            if (b is not ((>= 0x20 and < 0x7F) or (byte)'\t' or (byte)'\r' or (byte)'\n'))
            {
                return false;
            }
        }

        return true;
    }

    private static string Escape(string text) =>
        text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)
            .Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal).Replace("\t", "\\t", StringComparison.Ordinal);

    /// <summary>Wasmtime's multi-line error as one line: its causes joined, at most 300 characters.</summary>
    private static string Condense(string error)
    {
        var parts = error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => l != "Caused by:")
            .Select(l => l.Length > 3 && char.IsAsciiDigit(l[0]) && l[1] == ':' ? l[2..].Trim() : l);
        var line = string.Join(": ", parts);
        return line.Length <= 300 ? line : line[..297] + "...";
    }

    private static string KindName(ExternalKind kind) => kind switch
    {
        ExternalKind.Function => "function",
        ExternalKind.Table => "table",
        ExternalKind.Memory => "memory",
        ExternalKind.Global => "global",
        _ => "tag",
    };
}
