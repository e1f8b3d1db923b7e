using System.Text.Json.Nodes;

namespace Carapace.Platform.Tests;

/// <summary>
/// The official OpenWhisk JavaScript client (npm <c>openwhisk</c>, pinned) against the real platform, with calls
/// written as an OpenWhisk user writes them: the client's own request shapes and its own reading of the answers.
/// </summary>
public sealed class OpenWhiskClientTests : IAsyncLifetime
{
    private PlatformFixture _platform = null!;
    private string _module = "";

    public async Task InitializeAsync()
    {
        _platform = await PlatformFixture.StartAsync();
        _module = Convert.ToBase64String(await File.ReadAllBytesAsync(RepoPaths.Example("hello")));
    }

    public async Task DisposeAsync() => await _platform.DisposeAsync();

    private Task<OpenWhiskJsResult> RunAsync(string body) =>
        OpenWhiskJs.RunAsync(_platform.Host.Endpoint, _platform.Guest.Auth, _platform.Certificate.ExportCertificatePem(), body);

    /// <summary>The module as the client uploads a binary action: a Buffer, with the kind named.</summary>
    private string CreateHello(string name) => $$"""
        await ow.actions.create({ name: '{{name}}', kind: 'wasm:wasi', action: Buffer.from('{{_module}}', 'base64'),
          annotations: { confidential: false } });
        """;

    [Fact]
    public async Task Actions_are_created_listed_invoked_updated_and_deleted_through_the_client()
    {
        var result = (await RunAsync($$"""
            {{CreateHello("hello")}}
            const got = await ow.actions.get({ name: 'hello' });
            const listed = await ow.actions.list();
            const counted = await ow.actions.list({ count: true });
            const answer = await ow.actions.invoke({ name: 'hello', params: { name: 'John' }, blocking: true, result: true });
            await ow.actions.update({ name: 'hello', params: { greeting: 'hi' } });
            const updated = await ow.actions.get({ name: 'hello' });
            await ow.actions.delete({ name: 'hello' });
            const after = await ow.actions.list();
            return { got, names: listed.map(a => a.name), counted, answer, updated, after: after.length };
            """)).Ok()!.AsObject();

        Assert.Equal("hello", result["got"]!["name"]!.GetValue<string>());
        Assert.Equal("wasm:wasi", result["got"]!["exec"]!["kind"]!.GetValue<string>());
        Assert.Equal(["hello"], result["names"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(1, result["counted"]!["actions"]!.GetValue<int>());
        Assert.Equal("JOHN", result["answer"]!["NAME"]!.GetValue<string>());
        Assert.Equal("0.0.2", result["updated"]!["version"]!.GetValue<string>());
        Assert.Contains(result["updated"]!["parameters"]!.AsArray(), p => p!["key"]!.GetValue<string>() == "greeting");
        Assert.Equal(0, result["after"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_non_blocking_invocation_is_found_with_its_result_and_logs_among_the_activations()
    {
        var result = (await RunAsync($$"""
            {{CreateHello("hello")}}
            const { activationId } = await ow.actions.invoke({ name: 'hello', params: { name: 'Ann' } });
            let activation = null;
            for (let i = 0; i < 200 && activation === null; i++) {
              try { activation = await ow.activations.get({ name: activationId }); }
              catch (e) { if (e.statusCode !== 404) throw e; await new Promise(r => setTimeout(r, 100)); }
            }
            const result = await ow.activations.result({ name: activationId });
            const logs = await ow.activations.logs({ name: activationId });
            const listed = await ow.activations.list({ name: 'hello', limit: 10 });
            return { activationId, activation, result, logs, listed: listed.map(a => a.activationId) };
            """)).Ok()!.AsObject();

        var id = result["activationId"]!.GetValue<string>();
        Assert.Matches("^[0-9a-f]{32}$", id);
        Assert.Equal(id, result["activation"]!["activationId"]!.GetValue<string>());
        Assert.Equal("ANN", result["result"]!["result"]!["NAME"]!.GetValue<string>());
        Assert.True(result["result"]!["success"]!.GetValue<bool>());
        Assert.IsType<JsonArray>(result["logs"]!["logs"]);
        Assert.Contains(id, result["listed"]!.AsArray().Select(n => n!.GetValue<string>()));
    }

    [Fact]
    public async Task A_sequence_made_by_the_client_runs_its_components_in_order()
    {
        var result = (await RunAsync($$"""
            {{CreateHello("hello")}}
            await ow.actions.create({ name: 'twice', sequence: ['/_/hello', '/_/hello'], annotations: { confidential: false } });
            const activation = await ow.actions.invoke({ name: 'twice', params: { name: 'Jo' }, blocking: true });
            return activation;
            """)).Ok()!.AsObject();

        Assert.True(result["response"]!["success"]!.GetValue<bool>());
        Assert.Equal("JO", result["response"]!["result"]!["NAME"]!.GetValue<string>());
        Assert.Equal(2, result["logs"]!.AsArray().Count); // the components' activation ids, in order
    }

    [Fact]
    public async Task The_clients_errors_carry_openwhisk_status_codes_and_messages()
    {
        var missing = await RunAsync("return await ow.actions.get({ name: 'nope' });");
        Assert.Equal(404, missing.StatusCode);
        Assert.NotNull(missing.Error);

        var wrongKey = await OpenWhiskJs.RunAsync(_platform.Host.Endpoint, "00000000-0000-0000-0000-000000000000:wrong",
            _platform.Certificate.ExportCertificatePem(), "return await ow.actions.list();");
        Assert.Equal(401, wrongKey.StatusCode);
    }

    [Fact]
    public async Task The_namespace_is_listed_as_the_client_expects()
    {
        var result = (await RunAsync("return await ow.namespaces.list();")).Ok()!.AsArray();
        Assert.Equal([PlatformFixture.Namespace], result.Select(n => n!.GetValue<string>()));
    }
}
