using Carapace.Functions.Modules;

namespace Carapace.Functions.Tests.Modules;

public sealed class ModuleInterfaceTests
{
    private static readonly string[] s_examples = ["hello", "hello_rust", "wordcount", "sha256", "readfile", "escape", "spin", "args", "clock", "marker"];

    [Fact]
    public void Parse_reads_imports_with_signatures_and_exports_of_a_command()
    {
        var module = Wat.Bytes("""
            (module
              (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
              (import "wasi_snapshot_preview1" "proc_exit" (func (param i32)))
              (import "env" "table" (table 2 funcref))
              (memory (export "memory") 3 10)
              (func (export "_start"))
              (func (export "add") (param i64 f32) (result f64 i32) unreachable))
            """);

        var parsed = ModuleInterface.Parse(module);

        Assert.Equal(3, parsed.Imports.Count);
        Assert.Equal(new ModuleImport("wasi_snapshot_preview1", "fd_write", ExternalKind.Function,
            new FunctionSignature([WasmValueType.I32, WasmValueType.I32, WasmValueType.I32, WasmValueType.I32], [WasmValueType.I32])), parsed.Imports[0]);
        Assert.Equal("(i32) -> ()", parsed.Imports[1].Signature!.ToString());
        Assert.Equal(ExternalKind.Table, parsed.Imports[2].Kind);
        Assert.Equal([2UL], parsed.TableMinimums);
        Assert.Equal(new MemoryType(3, 10, false, false, 16), Assert.Single(parsed.Memories));
        Assert.Equal(["memory", "_start", "add"], parsed.Exports.Select(e => e.Name));
        Assert.Equal(3UL << 16, parsed.Exports[0].Memory!.MinimumBytes);
        Assert.Equal("() -> ()", parsed.Exports[1].Signature!.ToString());
        Assert.Equal("(i64, f32) -> (f64, i32)", parsed.Exports[2].Signature!.ToString());
    }

    [Fact]
    public void Parse_reads_every_example_module()
    {
        foreach (var name in s_examples)
        {
            var parsed = ModuleInterface.Parse(File.ReadAllBytes(RepoPaths.Example(name)));
            Assert.Contains(parsed.Exports, e => e is { Name: "_start", Kind: ExternalKind.Function });
            Assert.All(parsed.Imports, i => Assert.Equal("wasi_snapshot_preview1", i.Module));
        }
    }

    [Fact]
    public void Parse_reads_gc_types_tags_table_initializers_and_64_bit_memories()
    {
        var module = Wat.Bytes("""
            (module
              (rec (type $s (struct (field i8) (field (mut i64)))) (type $a (array (mut (ref null $s)))))
              (type $f (func (param (ref null $s)) (result anyref)))
              (import "m" "f" (func (type $f)))
              (tag $t (param i32))
              (table 3 (ref null func) (ref.null func))
              (memory i64 2)
              (global (mut i32) (i32.const 7))
              (export "g" (func 0))
              (export "mem" (memory 0)))
            """);

        var parsed = ModuleInterface.Parse(module);

        Assert.Equal("(ref) -> ref", Assert.Single(parsed.Imports).Signature!.ToString());
        Assert.Equal([3UL], parsed.TableMinimums);
        Assert.True(Assert.Single(parsed.Memories).Is64Bit);
        Assert.Equal("(ref) -> ref", parsed.Exports[0].Signature!.ToString());
    }

    [Fact]
    public void Parse_refuses_what_is_not_a_version_1_module()
    {
        Assert.Throws<ModuleFormatException>(() => ModuleInterface.Parse(""u8));
        Assert.Throws<ModuleFormatException>(() => ModuleInterface.Parse("console.log('hi')"u8));
        Assert.Throws<ModuleFormatException>(() => ModuleInterface.Parse([0x00, 0x61, 0x73, 0x6D, 0x0D, 0x00, 0x01, 0x00]));
        Assert.Throws<ModuleFormatException>(() => ModuleInterface.Parse([0x00, 0x61, 0x73, 0x6D, 0x01, 0x00]));
    }

    [Theory]
    [InlineData(new byte[] { 1, 5, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F }, "at most 1000000")] // 2^32-1 types
    [InlineData(new byte[] { 1, 2, 0x90, 0x01 }, "announced in 0 bytes")] // 144 types in no bytes
    [InlineData(new byte[] { 1, 5, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F }, "too large")] // a u32 with bits past 32
    [InlineData(new byte[] { 1, 1 }, "announces 1 bytes")] // a section longer than the module
    [InlineData(new byte[] { 14, 0 }, "unknown section id 14")]
    [InlineData(new byte[] { 2, 1, 0, 1, 1, 0 }, "out of order")] // import before type
    [InlineData(new byte[] { 1, 5, 1, 0x60, 0, 0, 0 }, "left over")] // a type section with an extra byte
    [InlineData(new byte[] { 1, 4, 1, 0x60, 1, 0x55 }, "unknown value type 0x55")]
    [InlineData(new byte[] { 7, 5, 1, 1, 0xC3, 0, 0 }, "not valid UTF-8")]
    [InlineData(new byte[] { 7, 4, 1, 0, 0, 0 }, "names function 0, which does not exist")]
    [InlineData(new byte[] { 7, 7, 2, 0, 1, 0, 0, 1, 0 }, "used twice")]
    [InlineData(new byte[] { 5, 3, 1, 0x10, 0 }, "unknown memory limit flags 0x10")]
    public void Parse_refuses_malformed_sections_naming_the_problem(byte[] sections, string expected)
    {
        byte[] module = [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00, .. sections];

        var e = Assert.Throws<ModuleFormatException>(() => ModuleInterface.Parse(module));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.InRange(e.Offset, 8, module.Length);
    }

    [Fact]
    public void Every_truncation_of_a_real_module_throws_only_ModuleFormatException()
    {
        var module = File.ReadAllBytes(RepoPaths.Example("hello"));
        for (var length = 0; length < module.Length; length++)
        {
            try
            {
                ModuleInterface.Parse(module.AsSpan(0, length));
            }
            catch (ModuleFormatException)
            {
            }
        }
    }

    [Fact]
    public void Random_mutations_of_real_modules_throw_only_ModuleFormatException()
    {
        // Bounded: 20,000 mutants of the interface sections (where the parser reads); any other exception fails the test.
        var random = new Random(20_250_601);
        var seeds = new[] { "hello", "hello_rust", "readfile" }.Select(n => File.ReadAllBytes(RepoPaths.Example(n))).ToArray();
        for (var i = 0; i < 20_000; i++)
        {
            var mutant = (byte[])seeds[i % seeds.Length].Clone();
            var reach = Math.Min(mutant.Length, 512);
            for (var flips = random.Next(1, 4); flips > 0; flips--)
            {
                mutant[random.Next(8, reach)] = (byte)random.Next(256);
            }

            try
            {
                ModuleInterface.Parse(mutant);
            }
            catch (ModuleFormatException)
            {
            }
        }
    }
}
