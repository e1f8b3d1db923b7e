namespace Carapace.Cli.Tests.Functions;

/// <summary>deploy, run and measure check the module file first and say what is wrong with one that is not a module.</summary>
public sealed class ModuleFileTests : CliFixture
{
    [Theory]
    [InlineData("deploy", "greet", "--kind", "wasm:wasi")]
    [InlineData("run")]
    [InlineData("measure")]
    public async Task A_JavaScript_file_is_refused_saying_what_it_is_and_what_Carapace_runs(params string[] command)
    {
        var script = Dir.File("greet.js");
        File.WriteAllText(script, "function main(params) { return { greeting: 'hi' }; }\n");

        // deploy refuses before it looks for a platform: there is none here. (Without --kind, a .js file is a JavaScript action.)
        var result = await Run(null, [.. command, script]);

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.StderrLines);
        Assert.StartsWith($"carapace: {script} is not a WebAssembly module (it starts with \"function mai\"", line, StringComparison.Ordinal);
        Assert.Contains("kind wasm:wasi", line, StringComparison.Ordinal);
        Assert.Contains("wasm32-wasip1", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_module_that_imports_what_Carapace_does_not_provide_is_refused_by_run()
    {
        var module = Dir.File("env.wasm");
        File.WriteAllBytes(module, Wasmtime.Module.ConvertText("""
            (module (import "env" "host_log" (func (param i32))) (memory (export "memory") 1) (func (export "_start")))
            """));

        var result = await Run(null, "run", module);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("imports 'env.host_log', which Carapace does not provide", result.Stderr, StringComparison.Ordinal);
    }
}
