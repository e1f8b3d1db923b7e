using System.Text.RegularExpressions;
using Carapace.Enclave.Functions.Modules;
using Carapace.Enclave.Tests.Wasi.Support;
using Carapace.Enclave.Wasi;
using Wasmtime;

namespace Carapace.Enclave.Tests.Functions.Modules;

/// <summary>The list modules are validated against and the enclave's linker agree exactly, names and signatures.</summary>
public sealed partial class ProvidedImportsTests
{
    [Fact]
    public void The_linker_defines_every_provided_function_with_its_exact_signature()
    {
        using var engine = new Engine();
        using var linker = new Linker(engine);
        WasiPreview1.Define(linker);
        using var store = new Store(engine);
        foreach (var (name, signature) in ProvidedImports.Functions)
        {
            var function = linker.GetFunction(store, ProvidedImports.Module, name);
            Assert.NotNull(function);
            Assert.Equal(signature.Parameters.Select(Kind), function.Parameters);
            Assert.Equal(signature.Results.Select(Kind), function.Results);
        }
    }

    [Fact]
    public void The_linker_defines_nothing_else()
    {
        // Every definition in WasiPreview1.Define names its function literally; together they are exactly the list.
        var source = File.ReadAllText(Path.Combine(RepoPaths.Root, "src", "Carapace.Enclave", "Wasi", "WasiPreview1.cs"));
        var defined = DefineCall().Matches(source).Select(m => m.Groups[1].Value).ToList();

        Assert.Equal(defined.Count, defined.Distinct().Count());
        Assert.Equal(ProvidedImports.FunctionNames.Order(StringComparer.Ordinal), defined.Order(StringComparer.Ordinal));
        Assert.Equal(ProvidedImports.FunctionNames, WasiPreview1.FunctionNames);
        Assert.Equal(defined.Count, Regex.Count(source, @"\.DefineFunction\("));
        Assert.DoesNotContain(".Define(", source, StringComparison.Ordinal);
        Assert.DoesNotContain(".DefineWasi(", source, StringComparison.Ordinal);
    }

    [Fact]
    public void The_list_is_the_witx_signatures_the_probe_imports()
    {
        // WasiProbe's table was written from wasi_snapshot_preview1.witx independently of the list.
        Assert.Equal(WasiProbe.Signatures.Length, ProvidedImports.Functions.Count);
        foreach (var (name, parameters, result) in WasiProbe.Signatures)
        {
            var signature = ProvidedImports.Functions[name];
            Assert.Equal(parameters, string.Join(' ', signature.Parameters.Select(FunctionSignature.NameOf)));
            Assert.Equal(result ? ["i32"] : Array.Empty<string>(), signature.Results.Select(FunctionSignature.NameOf));
        }
    }

    private static ValueKind Kind(WasmValueType type) => type switch
    {
        WasmValueType.I32 => ValueKind.Int32,
        WasmValueType.I64 => ValueKind.Int64,
        WasmValueType.F32 => ValueKind.Float32,
        WasmValueType.F64 => ValueKind.Float64,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "WASI preview 1 uses numbers only"),
    };

    [GeneratedRegex("""linker\.DefineFunction\(M, "([a-z_0-9]+)",""")]
    private static partial Regex DefineCall();
}
