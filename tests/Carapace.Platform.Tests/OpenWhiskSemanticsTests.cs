using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Carapace.Platform.Tests;

/// <summary>
/// OpenWhisk's exact semantics for plaintext actions and sequences, through the real platform: what makes a result an
/// application error, how a sequence runs and records its components, how log lines and limits look, a timeout's
/// message. Each case is what OpenWhisk's controller and invoker do (ActivationResponse, SequenceActions, ContainerProxy).
/// </summary>
public sealed partial class OpenWhiskSemanticsTests : IAsyncLifetime
{
    private PlatformFixture _platform = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _platform = await PlatformFixture.StartAsync();
        _client = _platform.Client();
    }

    public async Task DisposeAsync() => await _platform.DisposeAsync();

    [Fact]
    public async Task A_result_with_an_error_field_is_an_application_error_even_when_the_function_exits_0()
    {
        await DeployEchoAsync("echo");

        using var blocking = await InvokeAsync("echo", """{"error":{"reason":"no such user"},"other":1}""");

        Assert.Equal(HttpStatusCode.BadGateway, blocking.StatusCode);
        var activation = await JsonAsync(blocking);
        Assert.Equal(activation.GetProperty("activationId").GetString(), blocking.Headers.GetValues("x-openwhisk-activation-id").Single());
        Assert.Equal(1, activation.GetProperty("statusCode").GetInt32());
        var response = activation.GetProperty("response");
        Assert.Equal("application error", response.GetProperty("status").GetString());
        Assert.Equal(1, response.GetProperty("statusCode").GetInt32());
        Assert.False(response.GetProperty("success").GetBoolean());
        // OpenWhisk keeps only the error field.
        Assert.Equal("""{"error":{"reason":"no such user"}}""", response.GetProperty("result").GetRawText());

        using var resultOnly = await InvokeAsync("echo", """{"error":"bad input"}""", resultOnly: true);
        Assert.Equal(HttpStatusCode.BadGateway, resultOnly.StatusCode);
        Assert.Equal("""{"error":"bad input"}""", (await JsonAsync(resultOnly)).GetRawText());

        using var fine = await InvokeAsync("echo", """{"errors":[]}""", resultOnly: true);
        Assert.Equal(HttpStatusCode.OK, fine.StatusCode);
    }

    [Fact]
    public async Task A_function_that_exits_non_zero_after_printing_an_error_object_keeps_its_own_error()
    {
        await DeployEchoAsync("failing", env: new JsonObject { ["ECHO_EXIT"] = "3" });

        using var own = await InvokeAsync("failing", """{"error":{"code":42}}""");
        Assert.Equal(HttpStatusCode.BadGateway, own.StatusCode);
        var response = (await JsonAsync(own)).GetProperty("response");
        Assert.Equal("application error", response.GetProperty("status").GetString());
        Assert.Equal("""{"error":{"code":42}}""", response.GetProperty("result").GetRawText());

        // Without an error object of its own, the platform says how it ended.
        using var bare = await InvokeAsync("failing", """{"fine":true}""", resultOnly: true);
        Assert.Equal(HttpStatusCode.BadGateway, bare.StatusCode);
        Assert.Equal("the function exited with code 3", (await JsonAsync(bare)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_plaintext_sequence_may_use_one_action_twice_and_merges_each_components_defaults()
    {
        await DeployEchoAsync("first", parameters: new JsonObject { ["a"] = "first's default", ["b"] = "first's b" });
        await DeployEchoAsync("second", parameters: new JsonObject { ["b"] = "second's default", ["c"] = "second's c" });
        await _platform.ChainAsync("twice", confidential: false, "first", "second", "first");
        await SetParametersAsync("twice", new JsonObject { ["s"] = "sequence's own" });

        using var response = await InvokeAsync("twice", """{"a":"given"}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var activation = await JsonAsync(response);
        // Invocation over the sequence's parameters over the first component's; each later component's own defaults
        // only fill what the previous result lacks.
        var result = activation.GetProperty("response").GetProperty("result");
        Assert.Equal("given", result.GetProperty("a").GetString());
        Assert.Equal("first's b", result.GetProperty("b").GetString());
        Assert.Equal("second's c", result.GetProperty("c").GetString());
        Assert.Equal("sequence's own", result.GetProperty("s").GetString());

        // The sequence's logs are its components' activations in order; it is topmost, they name it as their cause.
        var sequenceId = activation.GetProperty("activationId").GetString()!;
        Assert.True(Annotation(activation, "topmost").GetBoolean());
        Assert.False(activation.TryGetProperty("cause", out _));
        var components = activation.GetProperty("logs").EnumerateArray().Select(l => l.GetString()!).ToList();
        Assert.Equal(3, components.Count);
        var names = new List<string>();
        foreach (var id in components)
        {
            var component = JsonDocument.Parse(await _client.GetStringAsync($"api/v1/namespaces/_/activations/{id}")).RootElement;
            names.Add(component.GetProperty("name").GetString()!);
            Assert.Equal(sequenceId, component.GetProperty("cause").GetString());
            Assert.Equal("sequence", Annotation(component, "causedBy").GetString());
            Assert.DoesNotContain(component.GetProperty("annotations").EnumerateArray(), a => a.GetProperty("key").GetString() == "topmost");
            Assert.True(component.GetProperty("response").GetProperty("success").GetBoolean());
        }

        Assert.Equal(["first", "second", "first"], names);

        // The list shows the cause too.
        var listed = JsonDocument.Parse(await _client.GetStringAsync("api/v1/namespaces/_/activations?name=second")).RootElement;
        Assert.Equal(sequenceId, listed.EnumerateArray().Single().GetProperty("cause").GetString());
    }

    [Fact]
    public async Task A_plaintext_sequence_stops_at_an_application_error_with_that_components_response()
    {
        await DeployEchoAsync("pass");
        await DeployEchoAsync("never");
        await _platform.ChainAsync("stops", confidential: false, "pass", "never");

        using var response = await InvokeAsync("stops", """{"error":"stop here"}""");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var activation = await JsonAsync(response);
        Assert.Equal("application error", activation.GetProperty("response").GetProperty("status").GetString());
        Assert.Equal("""{"error":"stop here"}""", activation.GetProperty("response").GetProperty("result").GetRawText());
        var ran = Assert.Single(activation.GetProperty("logs").EnumerateArray());
        var component = JsonDocument.Parse(await _client.GetStringAsync($"api/v1/namespaces/_/activations/{ran.GetString()}")).RootElement;
        Assert.Equal("pass", component.GetProperty("name").GetString());
        Assert.Empty(JsonDocument.Parse(await _client.GetStringAsync("api/v1/namespaces/_/activations?name=never")).RootElement.EnumerateArray());
    }

    [Fact]
    public async Task Log_lines_carry_the_invokers_time_and_stream_prefix_and_limits_name_logs_and_concurrency()
    {
        await DeployEchoAsync("logged");

        using var response = await InvokeAsync("logged", """{"x":1}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var activation = await JsonAsync(response);
        var lines = activation.GetProperty("logs").EnumerateArray().Select(l => l.GetString()!).ToList();
        Assert.Equal(2, lines.Count);
        Assert.All(lines, l => Assert.Matches(LogLine(), l));
        Assert.EndsWith(" stderr: echo: start", lines[0], StringComparison.Ordinal);
        Assert.EndsWith(" stderr: echo: 7 bytes", lines[1], StringComparison.Ordinal);
        var stamp = DateTimeOffset.Parse(lines[0][..30].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(stamp.ToUnixTimeMilliseconds(), activation.GetProperty("start").GetInt64() - 1000, activation.GetProperty("end").GetInt64() + 1000);

        var limits = Annotation(activation, "limits");
        Assert.Equal(10, limits.GetProperty("logs").GetInt32());
        Assert.Equal(1, limits.GetProperty("concurrency").GetInt32());
        Assert.Equal(5_000, limits.GetProperty("timeout").GetInt32());
        Assert.Equal(128, limits.GetProperty("memory").GetInt32());
        Assert.False(Annotation(activation, "timeout").GetBoolean());

        using var logs = await _client.GetAsync($"api/v1/namespaces/_/activations/{activation.GetProperty("activationId").GetString()}/logs");
        Assert.Equal(lines, (await JsonAsync(logs)).GetProperty("logs").EnumerateArray().Select(l => l.GetString()!));
    }

    [Fact]
    public async Task A_timeout_has_openwhisks_message_and_annotation()
    {
        await _platform.DeployAsync("spin", "spin", confidential: false, timeoutMs: 300);

        using var response = await InvokeAsync("spin", "{}");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var activation = await JsonAsync(response);
        var result = activation.GetProperty("response");
        Assert.Equal("action developer error", result.GetProperty("status").GetString());
        Assert.Equal("The action exceeded its time limits of 300 milliseconds.", result.GetProperty("result").GetProperty("error").GetString());
        Assert.True(Annotation(activation, "timeout").GetBoolean());
    }

    [Fact]
    public async Task A_result_over_the_limit_is_openwhisks_application_error()
    {
        await DeployEchoAsync("big");
        var text = new string('x', 1024 * 1024);

        using var response = await InvokeAsync("big", $$"""{"text":"{{text}}"}""", resultOnly: true);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("The action produced a response that exceeded the allowed length: 1048587 > 1048576 bytes.",
            (await JsonAsync(response)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_sequences_limits_name_its_largest_components_memory()
    {
        await DeployEchoAsync("small");
        await _platform.DeployAsync("large", "hello", confidential: false, memoryMiB: 384);
        await _platform.ChainAsync("mixed", confidential: false, "small", "large");

        using var response = await InvokeAsync("mixed", "{}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var limits = Annotation(await JsonAsync(response), "limits");
        Assert.Equal(384, limits.GetProperty("memory").GetInt32());
        Assert.Equal(10, limits.GetProperty("logs").GetInt32());
    }

    [Fact]
    public async Task A_blocking_invocation_past_its_timeout_parameter_turns_into_a_202_with_the_activation_id()
    {
        await _platform.DeployAsync("slow", "spin", confidential: false, timeoutMs: 3_000);

        using var response = await _client.PostAsync("api/v1/namespaces/_/actions/slow?blocking=true&timeout=200",
            new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await JsonAsync(response)).GetProperty("activationId").GetString();
        Assert.Matches("^[0-9a-f]{32}$", id);
        Assert.Equal(id, response.Headers.GetValues("x-openwhisk-activation-id").Single());

        using var nonBlocking = await _client.PostAsync("api/v1/namespaces/_/actions/slow",
            new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Accepted, nonBlocking.StatusCode);
        Assert.Equal((await JsonAsync(nonBlocking)).GetProperty("activationId").GetString(),
            nonBlocking.Headers.GetValues("x-openwhisk-activation-id").Single());
    }

    [Fact]
    public async Task A_running_platform_names_its_namespace_concurrency_in_the_limits()
    {
        var limits = JsonDocument.Parse(await _client.GetStringAsync("api/v1/namespaces/_/limits")).RootElement;

        Assert.Equal(100, limits.GetProperty("concurrentInvocations").GetInt32());
        Assert.Equal(100, limits.GetProperty("maxActionInstances").GetInt32());
    }

    // OpenWhisk's invoker: the time padded to 30 characters, the stream, the line.
    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z {3}stderr: ")]
    private static partial Regex LogLine();

    private static JsonElement Annotation(JsonElement activation, string key) =>
        activation.GetProperty("annotations").EnumerateArray().Single(a => a.GetProperty("key").GetString() == key).GetProperty("value");

    private async Task<HttpResponseMessage> InvokeAsync(string name, string body, bool resultOnly = false) =>
        await _client.PostAsync($"api/v1/namespaces/_/actions/{name}?blocking=true{(resultOnly ? "&result=true" : "")}",
            new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private async Task DeployEchoAsync(string name, JsonObject? env = null, JsonObject? parameters = null)
    {
        var annotations = new JsonArray { new JsonObject { ["key"] = "confidential", ["value"] = false } };
        if (env is not null)
        {
            annotations.Add(new JsonObject { ["key"] = "carapace.env", ["value"] = env });
        }

        var body = new JsonObject
        {
            ["exec"] = new JsonObject
            {
                ["kind"] = "wasm:wasi",
                ["code"] = Convert.ToBase64String(await File.ReadAllBytesAsync(RepoPaths.Example("echo"))),
            },
            ["limits"] = new JsonObject { ["memory"] = 128, ["timeout"] = 5_000 },
            ["annotations"] = annotations,
            ["parameters"] = KeyValues(parameters),
        };
        using var response = await _client.PutAsync($"api/v1/namespaces/_/actions/{name}?overwrite=true", JsonContent.Create(body));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    private async Task SetParametersAsync(string name, JsonObject parameters)
    {
        using var response = await _client.PutAsync($"api/v1/namespaces/_/actions/{name}?overwrite=true",
            JsonContent.Create(new JsonObject { ["parameters"] = KeyValues(parameters) }));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    private static JsonArray KeyValues(JsonObject? values) =>
        new([.. (values ?? []).Select(p => (JsonNode)new JsonObject { ["key"] = p.Key, ["value"] = p.Value?.DeepClone() })]);
}
