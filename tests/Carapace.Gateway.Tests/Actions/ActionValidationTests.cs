using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Carapace.Controller.Registry;
using Carapace.Gateway.Tests.Support;

namespace Carapace.Gateway.Tests.Actions;

/// <summary>Every field the platform interprets is checked at PUT: refused with a 400 naming the field, nothing stored.</summary>
public sealed class ActionValidationTests : IAsyncLifetime
{
    private const string Actions = "api/v1/namespaces/_/actions/";
    private readonly LogCapture _logs = new();
    private GatewayFixture _gateway = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _gateway = await GatewayFixture.StartAsync(loggers: _logs);
        _client = _gateway.AliceClient();
    }

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    [Fact]
    public async Task A_JavaScript_file_as_code_is_refused_saying_what_it_is_and_what_Carapace_runs()
    {
        using var response = await _client.PutAsync(Actions + "greet", Bodies.Wasm(Encoding.UTF8.GetBytes("function main() { return 1; }\n")));

        var error = await GatewayFixture.AssertErrorAsync(response, HttpStatusCode.BadRequest);
        Assert.StartsWith("'exec.code' is not a WebAssembly module (it starts with \"function mai\"", error, StringComparison.Ordinal);
        Assert.Contains("wasm:wasi", error, StringComparison.Ordinal);
        Assert.Null(Stored("greet"));
    }

    [Theory]
    [InlineData("""(module (import "env" "greet" (func)) (memory (export "memory") 1) (func (export "_start")))""", "imports 'env.greet', which Carapace does not provide")]
    [InlineData("""(module (memory (export "memory") 1) (func (export "main")))""", "exports no '_start' function")]
    [InlineData("""(module (func (export "_start")))""", "exports no 'memory'")]
    public async Task A_module_that_is_not_a_runnable_command_is_refused(string wat, string expected)
    {
        using var response = await _client.PutAsync(Actions + "bad", Bodies.Wasm(Bodies.Wat(wat)));

        Assert.Contains(expected, await GatewayFixture.AssertErrorAsync(response, HttpStatusCode.BadRequest), StringComparison.Ordinal);
        Assert.Null(Stored("bad"));
    }

    [Theory]
    [InlineData("\"A=1\"", "must be a JSON object of strings")]
    [InlineData("{\"A\": 1}", "the value of 'A' must be a string, not a number")]
    [InlineData("{\"A\": null}", "the value of 'A' must be a string, not null")]
    [InlineData("{\"\": \"x\"}", "an empty variable name")]
    [InlineData("{\"A=B\": \"x\"}", "the name 'A=B' contains '='")]
    [InlineData("{\"A\": \"x\\u0000y\"}", "the value of 'A' contains a NUL character")]
    [InlineData("{\"A\\u0000\": \"x\"}", "contains a NUL character")]
    [InlineData("{\"A\": \"1\", \"A\": \"2\"}", "sets 'A' twice")]
    public async Task An_invalid_carapace_env_is_refused_naming_the_annotation(string env, string expected)
    {
        using var response = await _client.PutAsync(Actions + "env", Raw($$"""
            {"exec": {"kind": "wasm:wasi", "code": "{{Convert.ToBase64String(Bodies.Module)}}"},
             "annotations": [{"key": "carapace.env", "value": {{env}}}]}
            """));

        var error = await GatewayFixture.AssertErrorAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("'carapace.env'", error, StringComparison.Ordinal);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.Null(Stored("env"));
    }

    [Theory]
    [InlineData("\"/srv\"", "the action has no image")]
    [InlineData("\"srv\"", "must be absolute")]
    [InlineData("\"/a/../b\"", "not normalised")]
    [InlineData("7", "must be a string")]
    public async Task A_carapace_mount_that_is_invalid_or_has_no_image_is_refused(string mount, string expected)
    {
        using var response = await _client.PutAsync(Actions + "mounted", Raw($$"""
            {"exec": {"kind": "wasm:wasi", "code": "{{Convert.ToBase64String(Bodies.Module)}}"},
             "annotations": [{"key": "carapace.mount", "value": {{mount}}}]}
            """));

        var error = await GatewayFixture.AssertErrorAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("'carapace.mount'", error, StringComparison.Ordinal);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.Null(Stored("mounted"));
    }

    [Fact]
    public async Task An_oversized_environment_is_refused()
    {
        var env = new JsonObject { ["BIG"] = new string('x', 40 * 1024) };

        using var response = await _client.PutAsync(Actions + "env", Bodies.Wasm(annotations: [new JsonObject { ["key"] = "carapace.env", ["value"] = env }]));

        Assert.Contains("a value is at most 32768", await GatewayFixture.AssertErrorAsync(response, HttpStatusCode.BadRequest), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""[{"key": "\ud800", "value": 1}]""", "not valid Unicode")]
    [InlineData("""[{"key": "a", "value": 1}, {"key": "a", "value": 2}]""", "has the key 'a' more than once")]
    [InlineData("""[{"key": "", "value": 1}]""", "empty key")]
    [InlineData("""[{"key": "a\u0001", "value": 1}]""", "control character")]
    [InlineData("""[{"key": "a", "value": "\udc00"}]""", "not valid Unicode")]
    public async Task Annotations_and_parameters_with_bad_keys_or_strings_are_refused_not_answered_500(string entries, string expected)
    {
        foreach (var field in new[] { "annotations", "parameters" })
        {
            using var response = await _client.PutAsync(Actions + "kv", Raw($$"""
                {"exec": {"kind": "wasm:wasi", "code": "{{Convert.ToBase64String(Bodies.Module)}}"}, "{{field}}": {{entries}}}
                """));

            var error = await GatewayFixture.AssertErrorAsync(response, HttpStatusCode.BadRequest);
            Assert.Contains($"'{field}'", error, StringComparison.Ordinal);
            Assert.Contains(expected, error, StringComparison.Ordinal);
        }

        Assert.DoesNotContain(_logs.Entries, e => e.Exception is not null);
    }

    [Fact]
    public async Task Names_kinds_and_components_that_do_not_decode_are_refused_not_answered_500()
    {
        using var kind = await _client.PutAsync(Actions + "k", Raw("""{"exec": {"kind": "wasm\ud800"}}"""));
        Assert.Contains("'exec.kind'", await GatewayFixture.AssertErrorAsync(kind, HttpStatusCode.BadRequest), StringComparison.Ordinal);

        using var components = await _client.PutAsync(Actions + "s", Raw("""{"exec": {"kind": "sequence", "components": ["/_/\ud800"]}}"""));
        Assert.Contains("'exec.components'", await GatewayFixture.AssertErrorAsync(components, HttpStatusCode.BadRequest), StringComparison.Ordinal);
        Assert.DoesNotContain(_logs.Entries, e => e.Exception is not null);
    }

    [Fact]
    public async Task An_update_that_keeps_the_code_must_still_make_a_valid_function_with_the_new_limits()
    {
        // The module starts with 200 MiB of memory (3200 pages): fine under 256 MB, not under 128 MB.
        var big = Bodies.Wat("""(module (memory (export "memory") 3200) (func (export "_start")))""");
        using var created = await _client.PutAsync(Actions + "big", Bodies.Wasm(big, limits: new JsonObject { ["memory"] = 256 }));
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);

        using var shrunk = await _client.PutAsync(Actions + "big?overwrite=true", Raw("""{"limits": {"memory": 128}}"""));

        var error = await GatewayFixture.AssertErrorAsync(shrunk, HttpStatusCode.BadRequest);
        Assert.Contains("'exec.code' needs 200 MiB of memory to start, more than 'limits.memory' 128 MB", error, StringComparison.Ordinal);
        Assert.Equal(256, Stored("big")!.Limits.MemoryMiB);
        Assert.Equal("0.0.1", Stored("big")!.Version);
    }

    [Fact]
    public async Task An_update_that_keeps_a_valid_environment_and_changes_the_limits_is_stored()
    {
        var env = new JsonArray(new JsonObject { ["key"] = "carapace.env", ["value"] = new JsonObject { ["MODE"] = "fast" } });
        using var created = await _client.PutAsync(Actions + "kept", Bodies.Wasm(annotations: env));
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);

        using var updated = await _client.PutAsync(Actions + "kept?overwrite=true", Raw("""{"limits": {"timeout": 1000}}"""));

        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        Assert.Equal(1000, Stored("kept")!.Limits.TimeoutMs);
        Assert.Equal("fast", Stored("kept")!.Annotations.Single(a => a.Key == "carapace.env").Value.GetProperty("MODE").GetString());
    }

    [Fact]
    public async Task Limits_out_of_range_name_their_field()
    {
        using var response = await _client.PutAsync(Actions + "lim", Bodies.Wasm(limits: new JsonObject { ["memory"] = 4096, ["timeout"] = 1 }));

        var error = await GatewayFixture.AssertErrorAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("'limits.memory' 4096 MB", error, StringComparison.Ordinal);
        Assert.Contains("'limits.timeout' 1 ms", error, StringComparison.Ordinal);
    }

    private ActionRecord? Stored(string name) => _gateway.Host.Registry.Get(ActionName.Of("alice", name));

    private static StringContent Raw(string json) => new(json, Encoding.UTF8, "application/json");
}
