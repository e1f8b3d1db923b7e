using System.Text.Json.Nodes;

namespace Carapace.Platform.Tests;

/// <summary>
/// More of what an OpenWhisk user writes with the official JavaScript client (npm <c>openwhisk</c>, pinned): update
/// semantics, parameters, annotations and limits, <c>result: true</c>, activation list filters and counts, and web
/// actions made with the client and called over HTTPS as a browser or another program would.
/// </summary>
public sealed class OpenWhiskClientUsageTests : IAsyncLifetime
{
    private PlatformFixture _platform = null!;
    private string _echo = "";

    public async Task InitializeAsync()
    {
        _platform = await PlatformFixture.StartAsync();
        _echo = Convert.ToBase64String(await File.ReadAllBytesAsync(RepoPaths.Example("echo")));
    }

    public async Task DisposeAsync() => await _platform.DisposeAsync();

    private Task<OpenWhiskJsResult> RunAsync(string body) =>
        OpenWhiskJs.RunAsync(_platform.Host.Endpoint, _platform.Guest.Auth, _platform.Certificate.ExportCertificatePem(), body);

    /// <summary>Creates <paramref name="name"/> from example echo (its result is its input), with the given extra options.</summary>
    private string CreateEcho(string name, string options = "annotations: { confidential: false }") => $$"""
        await ow.actions.create({ name: '{{name}}', kind: 'wasm:wasi', action: Buffer.from('{{_echo}}', 'base64'), {{options}} });
        """;

    [Fact]
    public async Task An_update_keeps_what_it_does_not_name_merges_annotations_and_limits_and_replaces_parameters()
    {
        var result = (await RunAsync($$"""
            {{CreateEcho("echo", "params: { a: 1, b: 2 }, annotations: { confidential: false, x: 'one' }, limits: { timeout: 3000, memory: 256 }")}}
            const created = await ow.actions.get('echo');
            await ow.actions.update({ name: 'echo', annotations: { y: 'two' } });
            const annotated = await ow.actions.get('echo');
            await ow.actions.update({ name: 'echo', limits: { timeout: 4000 } });
            const limited = await ow.actions.get('echo');
            await ow.actions.update({ name: 'echo', params: { c: 3 } });
            const parameterised = await ow.actions.get({ name: 'echo', code: false });
            const answer = await ow.actions.invoke({ name: 'echo', params: { d: 4 }, blocking: true, result: true });
            return { created, annotated, limited, parameterised, answer };
            """)).Ok()!.AsObject();

        static JsonObject Map(JsonNode? keyValues) =>
            new([.. keyValues!.AsArray().Select(kv => KeyValuePair.Create(kv!["key"]!.GetValue<string>(), kv["value"]?.DeepClone()))]);

        var created = result["created"]!;
        Assert.Equal("0.0.1", created["version"]!.GetValue<string>());
        Assert.Equal((3000, 256), (created["limits"]!["timeout"]!.GetValue<int>(), created["limits"]!["memory"]!.GetValue<int>()));
        Assert.Equal(["a", "b"], Map(created["parameters"]).Select(p => p.Key).Order());

        var annotated = result["annotated"]!;
        Assert.Equal("0.0.2", annotated["version"]!.GetValue<string>());
        var annotations = Map(annotated["annotations"]);
        Assert.Equal(("one", "two"), (annotations["x"]!.GetValue<string>(), annotations["y"]!.GetValue<string>()));
        Assert.False(annotations["confidential"]!.GetValue<bool>());
        Assert.Equal(["a", "b"], Map(annotated["parameters"]).Select(p => p.Key).Order());
        Assert.Equal("wasm:wasi", annotated["exec"]!["kind"]!.GetValue<string>());

        var limited = result["limited"]!;
        Assert.Equal((4000, 256), (limited["limits"]!["timeout"]!.GetValue<int>(), limited["limits"]!["memory"]!.GetValue<int>()));

        var parameterised = result["parameterised"]!;
        Assert.Equal(["c"], Map(parameterised["parameters"]).Select(p => p.Key));
        Assert.Equal("0.0.4", parameterised["version"]!.GetValue<string>());
        Assert.Null(parameterised["exec"]!["code"]);

        // The action's defaults under the invocation's parameters; result: true gives the result alone.
        Assert.Equal((3, 4), (result["answer"]!["c"]!.GetValue<int>(), result["answer"]!["d"]!.GetValue<int>()));
    }

    [Fact]
    public async Task Creating_an_existing_action_is_a_conflict_and_invoking_a_missing_one_is_not_found()
    {
        var conflict = await RunAsync($$"""
            {{CreateEcho("echo")}}
            {{CreateEcho("echo")}}
            """);
        Assert.Equal(409, conflict.StatusCode);

        var missing = await RunAsync("return await ow.actions.invoke({ name: 'nothing', blocking: true });");
        Assert.Equal(404, missing.StatusCode);
        Assert.Contains("The requested resource does not exist.", missing.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_final_parameter_cannot_be_overridden_by_an_invocation()
    {
        var refused = await RunAsync($$"""
            {{CreateEcho("locked", "params: { name: 'Jane' }, annotations: { confidential: false, final: true }")}}
            return await ow.actions.invoke({ name: 'locked', params: { name: 'Mallory' }, blocking: true });
            """);
        Assert.Equal(400, refused.StatusCode);
        Assert.Contains("Request defines parameters that are not allowed (e.g., reserved properties).", refused.Error, StringComparison.Ordinal);

        var allowed = (await RunAsync("return await ow.actions.invoke({ name: 'locked', params: { other: 1 }, blocking: true, result: true });")).Ok()!;
        Assert.Equal("Jane", allowed["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Activations_are_listed_filtered_and_counted_as_the_client_asks()
    {
        var result = (await RunAsync($$"""
            {{CreateEcho("echo")}}
            {{CreateEcho("other")}}
            const before = Date.now() - 1;
            for (let i = 0; i < 3; i++) await ow.actions.invoke({ name: 'echo', params: { i }, blocking: true });
            await ow.actions.invoke({ name: 'other', blocking: true });
            const after = Date.now() + 1;
            const all = await ow.activations.list();
            const named = await ow.activations.list({ name: 'echo' });
            const counted = await ow.activations.list({ name: 'echo', count: true });
            const page = await ow.activations.list({ name: 'echo', limit: 2, skip: 2 });
            const docs = await ow.activations.list({ name: 'other', docs: true });
            const since = await ow.activations.list({ since: after });
            const upto = await ow.activations.list({ upto: before });
            const window = await ow.activations.list({ since: before, upto: after, count: true });
            return { all: all.length, named: named.map(a => a.name), counted, page: page.length, docs, since: since.length, upto: upto.length, window };
            """)).Ok()!.AsObject();

        Assert.Equal(4, result["all"]!.GetValue<int>());
        Assert.Equal(["echo", "echo", "echo"], result["named"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(3, result["counted"]!["activations"]!.GetValue<int>());
        Assert.Equal(1, result["page"]!.GetValue<int>());
        Assert.True(result["docs"]![0]!["response"]!["success"]!.GetValue<bool>());
        Assert.Equal(0, result["since"]!.GetValue<int>());
        Assert.Equal(0, result["upto"]!.GetValue<int>());
        Assert.Equal(4, result["window"]!["activations"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_web_action_made_with_the_client_answers_over_https_without_a_key()
    {
        var result = (await RunAsync($$"""
            {{CreateEcho("greet", "params: { greeting: 'hi' }, annotations: { confidential: false, 'web-export': true }")}}
            {{CreateEcho("secured", "annotations: { confidential: false, 'web-export': true, 'require-whisk-auth': 'let-me-in' }")}}
            {{CreateEcho("internal")}}
            const base = process.env.OW_APIHOST + '/api/v1/web/guest/default/';
            const json = await fetch(base + 'greet.json?name=Ann');
            const page = await fetch(base + 'greet.http?statusCode=202&body=accepted');
            const hidden = await fetch(base + 'internal.json');
            const refused = await fetch(base + 'secured.json');
            const allowed = await fetch(base + 'secured.json', { headers: { 'X-Require-Whisk-Auth': 'let-me-in' } });
            const action = await ow.actions.get('greet');
            return {
              json: await json.json(), jsonType: json.headers.get('content-type'),
              pageStatus: page.status, pageText: await page.text(),
              hidden: [hidden.status, (await hidden.json()).error],
              refused: refused.status, allowed: allowed.status,
              exported: action.annotations.find(a => a.key === 'web-export').value,
            };
            """)).Ok()!.AsObject();

        Assert.Equal(("hi", "Ann", "get"), (result["json"]!["greeting"]!.GetValue<string>(), result["json"]!["name"]!.GetValue<string>(),
            result["json"]!["__ow_method"]!.GetValue<string>()));
        Assert.Equal("application/json", result["jsonType"]!.GetValue<string>());
        Assert.Equal((202, "accepted"), (result["pageStatus"]!.GetValue<int>(), result["pageText"]!.GetValue<string>()));
        Assert.Equal(404, result["hidden"]![0]!.GetValue<int>());
        Assert.Equal("The requested resource does not exist.", result["hidden"]![1]!.GetValue<string>());
        Assert.Equal((401, 200), (result["refused"]!.GetValue<int>(), result["allowed"]!.GetValue<int>()));
        Assert.True(result["exported"]!.GetValue<bool>());
    }
}
