using System.Text.Json.Nodes;

namespace Carapace.Platform.Tests;

/// <summary>
/// OpenWhisk's own JavaScript action examples (its documentation's hello with a name parameter, a Promise-returning
/// action, an action that throws, default parameters), created unchanged with the official npm <c>openwhisk</c> client
/// as <c>nodejs:default</c> / <c>nodejs:20</c> actions and run by the JavaScript enclave, with their activation records.
/// </summary>
public sealed class OpenWhiskJavaScriptTests : IAsyncLifetime
{
    private PlatformFixture _platform = null!;

    public async Task InitializeAsync() => _platform = await PlatformFixture.StartAsync();

    public async Task DisposeAsync() => await _platform.DisposeAsync();

    private Task<OpenWhiskJsResult> RunAsync(string body) =>
        OpenWhiskJs.RunAsync(_platform.Host.Endpoint, _platform.Guest.Auth, _platform.Certificate.ExportCertificatePem(), body);

    [Fact]
    public async Task The_documentation_s_nodejs_examples_run_in_plaintext_with_their_results_and_records()
    {
        var result = (await RunAsync("""
            const hello = `function main(params) {
              var name = params.name || 'World';
              return {payload:  'Hello, ' + name + '!'};
            }`;
            const asyncAction = `function main(args) {
              return new Promise(function(resolve, reject) {
                setTimeout(function() {
                  resolve({ done: true });
                }, 200);
              })
            }`;
            const failing = `function main(args) {
              throw new Error('The action failed as designed.');
            }`;
            const plain = { annotations: { confidential: false } };
            await ow.actions.create({ name: 'hello', action: hello, kind: 'nodejs:default', ...plain });
            await ow.actions.create({ name: 'async', action: asyncAction, kind: 'nodejs:20', ...plain });
            await ow.actions.create({ name: 'fail', action: failing, ...plain, kind: 'nodejs:default' });
            await ow.actions.create({ name: 'defaults', action: hello, kind: 'nodejs:default', params: { name: 'Carapace' }, ...plain });
            const got = await ow.actions.get({ name: 'hello' });
            const named = await ow.actions.invoke({ name: 'hello', params: { name: 'Ada' }, blocking: true, result: true });
            const anonymous = await ow.actions.invoke({ name: 'hello', blocking: true, result: true });
            const promised = await ow.actions.invoke({ name: 'async', blocking: true });
            const defaulted = await ow.actions.invoke({ name: 'defaults', blocking: true, result: true });
            const overridden = await ow.actions.invoke({ name: 'defaults', params: { name: 'Bo' }, blocking: true, result: true });
            let failed;
            try { await ow.actions.invoke({ name: 'fail', blocking: true }); } catch (e) { failed = e.error; }
            const record = await ow.activations.get({ name: promised.activationId });
            return { got, named, anonymous, promised, defaulted, overridden, failed, record };
            """)).Ok()!.AsObject();

        Assert.Equal("nodejs:default", result["got"]!["exec"]!["kind"]!.GetValue<string>());
        Assert.Equal("main", result["got"]!["exec"]!["main"]!.GetValue<string>());
        Assert.Contains("Hello, ' + name", result["got"]!["exec"]!["code"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("Hello, Ada!", result["named"]!["payload"]!.GetValue<string>());
        Assert.Equal("Hello, World!", result["anonymous"]!["payload"]!.GetValue<string>());
        Assert.True(result["promised"]!["response"]!["success"]!.GetValue<bool>());
        Assert.True(result["promised"]!["response"]!["result"]!["done"]!.GetValue<bool>());
        Assert.Equal("Hello, Carapace!", result["defaulted"]!["payload"]!.GetValue<string>());
        Assert.Equal("Hello, Bo!", result["overridden"]!["payload"]!.GetValue<string>());
        Assert.Equal("application error", result["failed"]!["response"]!["status"]!.GetValue<string>());
        Assert.Equal("The action failed as designed.", result["failed"]!["response"]!["result"]!["error"]!.GetValue<string>());
        Assert.Equal("nodejs:20", ((JsonArray)result["record"]!["annotations"]!).First(a => a!["key"]!.GetValue<string>() == "kind")!["value"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_kind_that_is_not_nodejs_is_refused_with_the_kinds_that_exist()
    {
        var result = (await RunAsync("""
            let python;
            try { await ow.actions.create({ name: 'py', action: 'def main(a): return a', kind: 'python:3' }); } catch (e) { python = e.error; }
            return { python: python || null };
            """)).Ok()!.AsObject();

        Assert.Contains("nodejs:default", result["python"]!["error"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}
