using Wasmtime;

namespace Carapace.Functions.Tests.Modules;

/// <summary>Modules for the validation tests, written as WebAssembly text and assembled by Wasmtime.</summary>
internal static class Wat
{
    /// <summary>The smallest command module: a memory and an empty <c>_start</c>.</summary>
    public const string Minimal = """(module (memory (export "memory") 1) (func (export "_start")))""";

    public static byte[] Bytes(string text) => Module.ConvertText(text);

    /// <summary>A command module with <paramref name="body"/> added inside the module.</summary>
    public static byte[] Command(string body) =>
        Bytes($$"""(module {{body}} (memory (export "memory") 1) (func (export "_start")))""");
}
