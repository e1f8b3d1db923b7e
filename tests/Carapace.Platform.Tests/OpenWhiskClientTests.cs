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
    public async Task Packages_and_bindings_made_by_the_client_pass_their_parameters_to_their_actions()
    {
        var result = (await RunAsync($$"""
            await ow.packages.create({ name: 'tools', package: { parameters: [{ key: 'from', value: 'package' }, { key: 'p', value: 'kept' }] } });
            await ow.actions.create({ name: 'tools/hello', kind: 'wasm:wasi', action: Buffer.from('{{_module}}', 'base64'),
              annotations: { confidential: false } });
            await ow.packages.create({ name: 'mine', package: { binding: { namespace: '_', name: 'tools' },
              parameters: [{ key: 'from', value: 'binding' }] } });
            const tools = await ow.packages.get({ name: 'tools' });
            const packages = await ow.packages.list();
            const direct = await ow.actions.invoke({ name: 'tools/hello', params: { name: 'Ann' }, blocking: true, result: true });
            const bound = await ow.actions.invoke({ name: 'mine/hello', blocking: true, result: true });
            const everything = await ow.namespaces.get();
            let refused = null;
            try { await ow.packages.delete({ name: 'tools' }); } catch (e) { refused = e.statusCode; }
            await ow.packages.delete({ name: 'mine' });
            await ow.actions.delete({ name: 'tools/hello' });
            await ow.packages.delete({ name: 'tools' });
            return { tools, packages: packages.map(p => p.name).sort(), direct, bound, refused,
              everything: { packages: everything.packages.length, actions: everything.actions.map(a => a.name) },
              after: (await ow.packages.list()).length };
            """)).Ok()!.AsObject();

        Assert.Equal(["hello"], result["tools"]!["actions"]!.AsArray().Select(a => a!["name"]!.GetValue<string>()));
        Assert.Equal(["mine", "tools"], result["packages"]!.AsArray().Select(p => p!.GetValue<string>()));
        Assert.Equal(("ANN", "PACKAGE", "KEPT"), (result["direct"]!["NAME"]!.GetValue<string>(), result["direct"]!["FROM"]!.GetValue<string>(),
            result["direct"]!["P"]!.GetValue<string>()));
        Assert.Equal(("BINDING", "KEPT"), (result["bound"]!["FROM"]!.GetValue<string>(), result["bound"]!["P"]!.GetValue<string>()));
        Assert.Equal(2, result["everything"]!["packages"]!.GetValue<int>());
        Assert.Equal(409, result["refused"]!.GetValue<int>()); // not empty
        Assert.Equal(0, result["after"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_trigger_fired_by_the_client_runs_its_active_rules_and_logs_them()
    {
        var result = (await RunAsync($$"""
            {{CreateHello("hello")}}
            await ow.triggers.create({ name: 'ping', trigger: { parameters: [{ key: 'source', value: 'trigger' }] } });
            await ow.rules.create({ name: 'ping-hello', trigger: 'ping', action: 'hello' });
            const rule = await ow.rules.get({ name: 'ping-hello' });
            const fired = await ow.triggers.invoke({ name: 'ping', params: { name: 'Zed' } });
            let trigger = null;
            for (let i = 0; i < 200 && trigger === null; i++) {
              try { trigger = await ow.activations.get({ name: fired.activationId }); }
              catch (e) { if (e.statusCode !== 404) throw e; await new Promise(r => setTimeout(r, 100)); }
            }
            const line = JSON.parse(trigger.logs[0]);
            let ran = null;
            for (let i = 0; i < 200 && ran === null; i++) {
              try { ran = await ow.activations.result({ name: line.activationId }); }
              catch (e) { if (e.statusCode !== 404) throw e; await new Promise(r => setTimeout(r, 100)); }
            }
            await ow.rules.disable({ name: 'ping-hello' });
            let quiet = 'fired';
            const again = await ow.triggers.invoke({ name: 'ping', params: { name: 'Nobody' } });
            if (!again || !again.activationId) quiet = 'nothing ran';
            await ow.rules.enable({ name: 'ping-hello' });
            const rules = await ow.rules.list();
            const triggers = await ow.triggers.list();
            await ow.rules.delete({ name: 'ping-hello' });
            await ow.triggers.delete({ name: 'ping' });
            return { rule, line, ran, quiet, rules: rules.map(r => r.name), triggers: triggers.map(t => t.name),
              after: (await ow.rules.list()).length + (await ow.triggers.list()).length };
            """)).Ok()!.AsObject();

        Assert.Equal("active", result["rule"]!["status"]!.GetValue<string>());
        Assert.Equal("ping-hello", result["line"]!["rule"]!.GetValue<string>().Split('/')[^1]);
        Assert.True(result["line"]!["success"]!.GetValue<bool>());
        Assert.Equal(("ZED", "TRIGGER"), (result["ran"]!["result"]!["NAME"]!.GetValue<string>(), result["ran"]!["result"]!["SOURCE"]!.GetValue<string>()));
        Assert.Equal("nothing ran", result["quiet"]!.GetValue<string>()); // no active rule: 204, no activation
        Assert.Equal(["ping-hello"], result["rules"]!.AsArray().Select(r => r!.GetValue<string>()));
        Assert.Equal(["ping"], result["triggers"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.Equal(0, result["after"]!.GetValue<int>());
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
