using Carapace.Enclave.Host;

namespace Carapace.Enclave.Tests.Host;

/// <summary>The warm-up's built-in echo function is exactly the module its documentation shows.</summary>
public sealed class WarmupTests
{
    private const string EchoWat = """
        (module
          (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
          (memory (export "memory") 1)
          (func (export "_start")
            (i32.store (i32.const 0) (i32.const 64))
            (i32.store (i32.const 4) (i32.const 1024))
            (drop (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
            (i32.store (i32.const 4) (i32.load (i32.const 8)))
            (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
        """;

    [Fact]
    public void The_echo_module_is_its_documented_text_without_the_name_section()
    {
        var compiled = Wasmtime.Module.ConvertText(EchoWat);
        var echo = Warmup.EchoModule.ToArray();

        Assert.True(compiled.AsSpan().StartsWith(echo), "the binary differs from the compiled text");
        // What follows is one custom section (id 0) named "name": the text's function names, nothing that runs.
        var rest = compiled.AsSpan(echo.Length);
        Assert.Equal(0, rest[0]);
        Assert.Equal(rest.Length - 2, rest[1]);
        Assert.True(rest[2..].StartsWith("\u0004name"u8));
    }
}
