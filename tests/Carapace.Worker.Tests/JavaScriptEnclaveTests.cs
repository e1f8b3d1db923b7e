using System.Text;
using System.Text.Json;
using Carapace.Envelope.Sealing;
using Carapace.Functions;
using Carapace.Functions.Provisioning;
using Carapace.Protocol;
using Carapace.Worker.Enclaves;
using Carapace.Worker.Pools;

namespace Carapace.Worker.Tests;

/// <summary>
/// The JavaScript enclave (<c>enclave/Carapace.Enclave.Js</c>, its own native binary) running OpenWhisk-style actions
/// through the real enclave protocol: provisioned, specialised in its own stem cell, invoked with sealed input.
/// </summary>
public sealed class JavaScriptEnclaveTests : IDisposable
{
    private readonly WorkerHarness _h = new();

    public void Dispose() => _h.Dispose();

    private async Task<RunResult> RunAsync(string source, string input, int timeoutMs = 5_000, long memoryBytes = 128L << 20, long statements = 0, string main = "main")
    {
        var code = Encoding.UTF8.GetBytes(source);
        var manifest = new FunctionManifest { Name = "action", JavaScriptMain = main, TimeoutMilliseconds = timeoutMs, MemoryBytes = memoryBytes, Fuel = statements };
        using var plan = ProvisioningPlan.Create(code, manifest);
        await using var cells = new StemCellPool(_h.Launch with { EnclavePath = EnclaveLaunchOptions.DefaultJavaScriptEnclavePath }, size: 0);
        await using var pool = new FunctionPool(cells, WorkerHarness.Definition(code, plan), _h.Cache);
        var outcome = await pool.InvokeAsync(EnvelopeSealer.Seal(plan.Input, Encoding.UTF8.GetBytes(input)));
        return RunResult.Open(outcome, plan);
    }

    [Fact]
    public async Task The_JavaScript_enclave_announces_its_own_runtime_identity()
    {
        await using var enclave = await EnclaveProcess.StartAsync(_h.Launch with { EnclavePath = EnclaveLaunchOptions.DefaultJavaScriptEnclavePath });

        Assert.Equal(ReferenceValues.Load(EnclaveRuntime.JavaScript).RuntimeIdentityValue, enclave.Ready.RuntimeIdentity.ToArray());
        Assert.NotEqual(ReferenceValues.Load(EnclaveRuntime.Wasi).RuntimeIdentityValue, enclave.Ready.RuntimeIdentity.ToArray());
    }

    [Fact]
    public async Task Hello_with_a_name_parameter_returns_its_greeting_and_logs()
    {
        var run = await RunAsync("function main(params) { console.log('greeting', params.name); return { payload: 'Hello, ' + params.name + '!' }; }", "{\"name\":\"Ada\"}");

        Assert.Equal(InvocationStatus.Completed, run.Result.Status);
        Assert.Equal(0, run.Result.ExitCode);
        Assert.Equal("{\"payload\":\"Hello, Ada!\"}", run.OutputText);
        Assert.Equal("greeting Ada\n", run.Log);
        Assert.True(run.Result.Usage.Fuel > 0, "the statements are reported as fuel");
    }

    [Fact]
    public async Task A_Promise_settled_by_a_timer_is_the_result()
    {
        var run = await RunAsync("function main(args) { return new Promise(function (resolve) { setTimeout(function () { resolve({ done: true }); }, 50); }); }", "{}");

        Assert.Equal("{\"done\":true}", run.OutputText);
        Assert.Equal(0, run.Result.ExitCode);
    }

    [Theory]
    [InlineData("function main() { throw new Error('boom'); }", "{\"error\":\"boom\"}")]
    [InlineData("function main() { return Promise.reject(new TypeError('bad')); }", "{\"error\":\"TypeError: bad\"}")]
    [InlineData("function main() { return { error: 'nope' }; }", "{\"error\":\"nope\"}")]
    [InlineData("function main() { return 42; }", "{\"error\":\"The action did not return a dictionary.\"}")]
    [InlineData("function other() { return {}; }", "{\"error\":\"The action's code defines no function 'main'.\"}")]
    public async Task Errors_are_application_errors_with_their_message(string source, string result)
    {
        var run = await RunAsync(source, "{}");

        Assert.Equal(InvocationStatus.Completed, run.Result.Status);
        Assert.Equal(1, run.Result.ExitCode);
        Assert.Equal(result, run.OutputText);
    }

    [Fact]
    public async Task Exec_main_names_the_entry_point_and_const_functions_count()
    {
        var run = await RunAsync("const handler = (p) => ({ sum: p.a + p.b });", "{\"a\":2,\"b\":3}", main: "handler");

        Assert.Equal("{\"sum\":5}", run.OutputText);
    }

    [Fact]
    public async Task The_shielded_globals_work_and_nothing_else_is_there()
    {
        var source = """
            function main() {
              const bytes = new TextEncoder().encode('hé');
              const random = new Uint8Array(8); crypto.getRandomValues(random);
              let required; try { require('fs'); } catch (e) { required = e.message; }
              return {
                utf8: Array.from(bytes), back: new TextDecoder().decode(bytes),
                b64: Buffer.from('hi there').toString('base64'), hex: Buffer.from('ff01', 'hex').toString('hex'),
                uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(crypto.randomUUID()),
                random: Math.random() < 1, year: new Date().getUTCFullYear() >= 2024,
                required: required.startsWith("Cannot find module 'fs'"), cryptoModule: typeof require('crypto').randomUUID,
                fetch: typeof fetch, host: typeof importNamespace
              };
            }
            """;

        var run = await RunAsync(source, "{}");
        using var json = JsonDocument.Parse(run.Output);
        var r = json.RootElement;

        Assert.Equal("[104,195,169]", r.GetProperty("utf8").GetRawText());
        Assert.Equal("hé", r.GetProperty("back").GetString());
        Assert.Equal("aGkgdGhlcmU=", r.GetProperty("b64").GetString());
        Assert.Equal("ff01", r.GetProperty("hex").GetString());
        Assert.True(r.GetProperty("uuid").GetBoolean());
        Assert.True(r.GetProperty("random").GetBoolean());
        Assert.True(r.GetProperty("year").GetBoolean());
        Assert.True(r.GetProperty("required").GetBoolean());
        Assert.Equal("function", r.GetProperty("cryptoModule").GetString());
        Assert.Equal("undefined", r.GetProperty("fetch").GetString());
        Assert.Equal("undefined", r.GetProperty("host").GetString());
    }

    [Fact]
    public async Task An_endless_loop_ends_at_the_time_limit()
    {
        var run = await RunAsync("function main() { while (true) {} }", "{}", timeoutMs: 500);

        Assert.Equal(InvocationStatus.Timeout, run.Result.Status);
        Assert.Contains("timeout", run.Result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_allocation_loop_ends_at_the_memory_limit()
    {
        var run = await RunAsync("function main() { const keep = []; while (true) { keep.push(new Array(100000).fill(keep.length)); } }", "{}",
            timeoutMs: 60_000, memoryBytes: 64L << 20);

        Assert.Equal(InvocationStatus.MemoryLimit, run.Result.Status);
        Assert.Equal("memory limit exceeded (64 MiB)", run.Result.Message);
    }

    [Fact]
    public async Task Deep_recursion_is_a_clear_error()
    {
        var run = await RunAsync("function down(n) { return n === 0 ? 0 : 1 + down(n - 1); } function main() { return { depth: down(1e7) }; }", "{}");

        Assert.Equal(1, run.Result.ExitCode);
        Assert.Contains("Maximum call stack size exceeded", run.OutputText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_statement_budget_ends_like_fuel()
    {
        var run = await RunAsync("function main() { let i = 0; while (true) { i++; } }", "{}", statements: 10_000);

        Assert.Equal(InvocationStatus.FuelExhausted, run.Result.Status);
    }

    [Fact]
    public async Task The_enclave_stays_healthy_after_a_limit_and_no_state_survives_an_invocation()
    {
        var code = Encoding.UTF8.GetBytes("var count = (typeof count === 'number' ? count : 0) + 1; globalThis.seen = globalThis.seen || []; function main(p) { if (p.loop) { while (true) {} } seen.push(p.x); return { count, seen }; }");
        var manifest = new FunctionManifest { Name = "action", JavaScriptMain = "main", TimeoutMilliseconds = 500 };
        using var plan = ProvisioningPlan.Create(code, manifest);
        await using var cells = new StemCellPool(_h.Launch with { EnclavePath = EnclaveLaunchOptions.DefaultJavaScriptEnclavePath }, size: 0);
        await using var pool = new FunctionPool(cells, WorkerHarness.Definition(code, plan, maxInstances: 1), _h.Cache);

        var first = RunResult.Open(await pool.InvokeAsync(EnvelopeSealer.Seal(plan.Input, "{\"x\":1}"u8)), plan);
        var stuck = RunResult.Open(await pool.InvokeAsync(EnvelopeSealer.Seal(plan.Input, "{\"loop\":true}"u8)), plan);
        var after = RunResult.Open(await pool.InvokeAsync(EnvelopeSealer.Seal(plan.Input, "{\"x\":2}"u8)), plan);

        Assert.Equal("{\"count\":1,\"seen\":[1]}", first.OutputText);
        Assert.Equal(InvocationStatus.Timeout, stuck.Result.Status);
        Assert.Equal("{\"count\":1,\"seen\":[2]}", after.OutputText);
        Assert.Equal(first.Outcome.EnclaveProcessId, after.Outcome.EnclaveProcessId);
    }
}
