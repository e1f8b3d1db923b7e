namespace Carapace.Functions.Modules;

/// <summary>
/// What a WebAssembly module imports and exports, and the memories and tables it defines — read from its binary
/// without compiling it, by <see cref="Parse"/>. It reads untrusted bytes: every count and length is bounded (the
/// <c>Max*</c> constants and the bytes actually present), nothing is allocated ahead of the data that backs it, and the
/// only exception it throws is <see cref="ModuleFormatException"/>.
/// </summary>
/// <remarks>
/// It reads the type, import, function, table, memory and export sections (the GC proposal's type forms included) and
/// steps over the others by their sizes. It checks the structure it reads (section order, indices, UTF-8 names, unique
/// export names), not the rest of the specification: <see cref="CommandModule.Validate"/> has Wasmtime validate the
/// module first.
/// </remarks>
public sealed class ModuleInterface
{
    /// <summary>Most type definitions accepted.</summary>
    public const int MaxTypes = 1_000_000;

    /// <summary>Most functions (imported and defined) accepted.</summary>
    public const int MaxFunctions = 1_000_000;

    /// <summary>Most imports accepted.</summary>
    public const int MaxImports = 100_000;

    /// <summary>Most exports accepted.</summary>
    public const int MaxExports = 100_000;

    /// <summary>Most parameters, and most results, of one function type.</summary>
    public const int MaxSignatureTypes = 1_000;

    /// <summary>Most fields of one struct type.</summary>
    public const int MaxStructFields = 10_000;

    /// <summary>Most memories, and most tables, (imported and defined) accepted.</summary>
    public const int MaxMemoriesOrTables = 100;

    /// <summary>Longest import or export name, in UTF-8 bytes.</summary>
    public const int MaxNameBytes = 65_536;

    /// <summary>Most instructions in one constant expression (a table's initializer).</summary>
    public const int MaxConstantInstructions = 1_000;

    private static readonly byte[] s_magic = [0x00, 0x61, 0x73, 0x6D];

    internal ModuleInterface(IReadOnlyList<ModuleImport> imports, IReadOnlyList<ModuleExport> exports, IReadOnlyList<MemoryType> memories,
        IReadOnlyList<ulong> tableMinimums)
    {
        Imports = imports;
        Exports = exports;
        Memories = memories;
        TableMinimums = tableMinimums;
    }

    /// <summary>The imports, in order.</summary>
    public IReadOnlyList<ModuleImport> Imports { get; }

    /// <summary>The exports, in order.</summary>
    public IReadOnlyList<ModuleExport> Exports { get; }

    /// <summary>Every memory, imported ones first (the memory index space).</summary>
    public IReadOnlyList<MemoryType> Memories { get; }

    /// <summary>The initial size (elements) of every table, imported ones first (the table index space).</summary>
    public IReadOnlyList<ulong> TableMinimums { get; }

    /// <summary>True when <paramref name="bytes"/> starts with the WebAssembly magic number <c>\0asm</c>.</summary>
    public static bool HasMagic(ReadOnlySpan<byte> bytes) => bytes.StartsWith(s_magic);

    /// <summary>Reads the interface of the core WebAssembly module (binary format version 1) in <paramref name="module"/>.</summary>
    /// <exception cref="ModuleFormatException">It is not one, or is over a bound; the message says what and where.</exception>
    public static ModuleInterface Parse(ReadOnlySpan<byte> module) => new ModuleParser().Parse(module);
}
