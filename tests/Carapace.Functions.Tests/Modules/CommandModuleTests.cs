using System.Text;
using Carapace.Functions.Modules;
using Wasmtime;

namespace Carapace.Functions.Tests.Modules;

public sealed class CommandModuleTests
{
    [Fact]
    public void Every_example_is_a_valid_command_module()
    {
        foreach (var name in new[] { "hello", "hello_rust", "wordcount", "sha256", "readfile", "escape", "spin", "args", "clock", "marker", "memhog", "hostcall" })
        {
            var validation = CommandModule.Validate(File.ReadAllBytes(RepoPaths.Example(name)));
            Assert.True(validation.IsValid, name + ": " + string.Join("; ", validation.Problems));
            Assert.Equal("", validation.Describe(name));
        }
    }

    [Fact]
    public void A_JavaScript_file_is_not_a_module_and_the_message_shows_its_start_and_how_to_build_one()
    {
        var validation = CommandModule.Validate("console.log('hello');\n"u8);

        Assert.False(validation.IsValid);
        var message = validation.Describe("greet.js");
        Assert.StartsWith("greet.js is not a WebAssembly module (it starts with \"console.log(\"", message, StringComparison.Ordinal);
        Assert.Contains("wasm:wasi", message, StringComparison.Ordinal);
        Assert.Contains("wasm32-wasip1", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "is empty")]
    [InlineData("\u007fELF\u0002\u0001\u0001", "native executable (ELF)")]
    [InlineData("(module (func))", "WebAssembly text (WAT)")]
    [InlineData("\u0000asm\u000d\u0000\u0001\u0000", "a WebAssembly component")]
    [InlineData("\u0000asm\u0002\u0000\u0000\u0000", "binary version 02000000")]
    [InlineData("\u0000asm\u0001\u0000", "cut short")]
    [InlineData("\u0000asm\u0001\u0000\u0000\u0000\u0001\u0005", "is not valid WebAssembly")]
    public void What_is_not_a_core_module_is_named(string content, string expected)
    {
        var validation = CommandModule.Validate(Encoding.Latin1.GetBytes(content));

        Assert.Contains(expected, Assert.Single(validation.Problems), StringComparison.Ordinal);
    }

    [Fact]
    public void Binary_starts_are_shown_in_hex()
    {
        var problem = Assert.Single(CommandModule.Validate([0xCA, 0xFE, 0xBA, 0xBE, 0x00, 0x01]).Problems);

        Assert.Contains("the bytes cafebabe0001", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""(import "env" "greet" (func (param i32)))""", "imports 'env.greet', which Carapace does not provide")]
    [InlineData("""(import "wasi_unstable" "fd_write" (func (param i32 i32 i32 i32) (result i32)))""", "older WASI snapshot")]
    [InlineData("""(import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32) (result i32)))""", "imports 'wasi_snapshot_preview1.fd_write' as (i32, i32, i32) -> i32, but WASI preview 1 defines it as (i32, i32, i32, i32) -> i32")]
    [InlineData("""(import "wasi_snapshot_preview1" "proc_exit" (func (param i64)))""", "defines it as (i32) -> ()")]
    [InlineData("""(import "env" "g" (global i32))""", "imports the global 'env.g'")]
    [InlineData("""(import "env" "t" (table 1 funcref))""", "imports the table 'env.t'")]
    [InlineData("""(memory 1)""", "has 2 memories")]
    [InlineData("""(table 1 funcref) (table 1 funcref)""", "has 2 tables")]
    [InlineData("""(table 30000 funcref)""", "a table of 30000 initial elements")]
    public void Imports_and_instance_limits_are_checked(string body, string expected)
    {
        var validation = CommandModule.Validate(Wat.Command(body));

        Assert.Contains(validation.Problems, p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Unknown_imports_are_listed_up_to_five_and_counted()
    {
        var imports = string.Concat(Enumerable.Range(0, 8).Select(i => $"(import \"env\" \"f{i}\" (func))"));

        var problem = Assert.Single(CommandModule.Validate(Wat.Command(imports)).Problems);

        Assert.Contains("'env.f0', 'env.f1', 'env.f2', 'env.f3', 'env.f4' and 3 more", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""(module (memory (export "memory") 1))""", "exports no '_start' function, so it is not a WASI command")]
    [InlineData("""(module (memory (export "memory") 1) (func (export "_initialize")))""", "it is a reactor")]
    [InlineData("""(module (memory (export "memory") 1) (func (export "_start") (param i32)))""", "exports '_start' as (i32) -> ()")]
    [InlineData("""(module (memory (export "memory") 1) (global (export "_start") i32 (i32.const 0)))""", "exports '_start' as a global")]
    [InlineData("""(module (memory 1) (func (export "_start")))""", "exports no 'memory'")]
    [InlineData("""(module (memory (export "memory") i64 1) (func (export "_start")))""", "64-bit memory")]
    [InlineData("""(module (memory (export "memory") 1 1 shared) (func (export "_start")))""", "shared memory")]
    public void A_command_exports_start_and_a_32_bit_memory(string text, string expected)
    {
        var validation = CommandModule.Validate(Wat.Bytes(text));

        Assert.Contains(validation.Problems, p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void The_initial_memory_is_reported()
    {
        var validation = CommandModule.Validate(Wat.Bytes("""(module (memory (export "memory") 40) (func (export "_start")))"""));

        Assert.True(validation.IsValid);
        Assert.Equal(40UL << 16, validation.InitialMemoryBytes);
    }
}
