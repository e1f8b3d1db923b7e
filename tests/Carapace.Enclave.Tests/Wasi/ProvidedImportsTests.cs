using System.Text.RegularExpressions;
using Carapace.Enclave.Tests.Wasi.Support;
using Carapace.Enclave.Wasi;
using Carapace.Functions;
using Carapace.Functions.Modules;
using Wasmtime;

namespace Carapace.Enclave.Tests.Wasi;

/// <summary>
/// The list modules are validated against and the enclave's linker agree exactly, names and signatures; and what the
/// validator accepts, the enclave's engine and linker instantiate.
/// </summary>
public sealed partial class ProvidedImportsTests
{
    /// <summary>The smallest command module: a memory and an empty <c>_start</c>.</summary>
    private const string Minimal = """(module (memory (export "memory") 1) (func (export "_start")))""";

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

    [Fact]
    public void Every_module_the_validator_accepts_instantiates_in_the_enclave_engine_and_the_ones_at_its_limits_too()
    {
        // The limits the validator enforces are the enclave engine's: what passes must instantiate with its linker.
        string[] accepted =
        [
            Minimal,
            """(module (memory (export "memory") 1) (table 20000 funcref) (func (export "_start")))""",
            """(module (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32))) (memory (export "memory") 1) (func (export "_start")))""",
        ];
        using var engine = EngineSettings.CreateEngine(fuel: false);
        using var linker = new Linker(engine);
        WasiPreview1.Define(linker);
        foreach (var text in accepted)
        {
            var bytes = Module.ConvertText(text);
            Assert.True(CommandModule.Validate(bytes).IsValid, text);
            using var module = Module.FromBytes(engine, "accepted", bytes);
            using var store = new Store(engine);
            Assert.NotNull(linker.Instantiate(store, module).GetAction("_start"));
        }

        // Just past the limits the engine refuses too.
        foreach (var body in new[] { "(memory 1)", "(table 20001 funcref)", "(table 1 funcref) (table 1 funcref)" })
        {
            var bytes = Module.ConvertText($$"""(module {{body}} (memory (export "memory") 1) (func (export "_start")))""");
            Assert.False(CommandModule.Validate(bytes).IsValid, body);
            Assert.ThrowsAny<WasmtimeException>(() =>
            {
                using var module = Module.FromBytes(engine, "refused", bytes);
                using var store = new Store(engine);
                linker.Instantiate(store, module);
            });
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
