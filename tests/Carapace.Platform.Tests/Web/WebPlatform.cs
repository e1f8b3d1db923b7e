using System.Net.Http.Json;
using System.Net.Security;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Carapace.Platform.Tests.Web;

/// <summary>
/// One real platform for a class of web action tests, with example <c>echo</c> (its result is its input) deployed as
/// plaintext web actions: what a test sends is what the action answers, so each test picks the response it wants.
/// </summary>
public sealed class WebPlatform : IAsyncLifetime
{
    /// <summary>The largest invocation body this platform takes (small, so the limit is cheap to test).</summary>
    public const long MaxInvocationBytes = 256 * 1024;

    internal PlatformFixture Platform { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Platform = await PlatformFixture.StartAsync(maxInvocationBytes: MaxInvocationBytes);
        await DeployAsync("api", new JsonObject { ["web-export"] = true, ["confidential"] = false }, new JsonObject { ["greeting"] = "hello" });
        await DeployAsync("raw", new JsonObject { ["web-export"] = true, ["confidential"] = false, ["raw-http"] = true });
        await DeployAsync("locked", new JsonObject { ["web-export"] = true, ["confidential"] = false, ["final"] = true },
            new JsonObject { ["name"] = "Jane" });
        await DeployAsync("custom-options", new JsonObject { ["web-export"] = true, ["confidential"] = false, ["web-custom-options"] = true });
        await DeployAsync("sealed", new JsonObject { ["web-export"] = true });
        await DeployAsync("page", new JsonObject { ["web-export"] = true, ["confidential"] = false }, new JsonObject { ["body"] = Page });
    }

    public async Task DisposeAsync() => await Platform.DisposeAsync();

    /// <summary>
    /// The page the browser test loads from <c>page.html</c>: a form whose submission calls the <c>api.json</c> web
    /// action with <c>fetch()</c> and renders what it answered into the DOM.
    /// </summary>
    public const string Page = """
        <!doctype html>
        <html><head><meta charset="utf-8"><title>Carapace web action</title></head>
        <body>
          <form id="greet"><input id="name" name="name" value="Ann"><button id="send" type="submit">Send</button></form>
          <p id="out">waiting</p>
          <script>
            document.getElementById('greet').addEventListener('submit', async event => {
              event.preventDefault();
              const name = document.getElementById('name').value;
              try {
                const response = await fetch('/api/v1/web/guest/default/api.json?name=' + encodeURIComponent(name), {
                  method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ shout: true })
                });
                const result = await response.json();
                document.getElementById('out').textContent =
                  [response.status, result.greeting, result.name, result.shout, result.__ow_method].join(' ');
              } catch (e) {
                document.getElementById('out').textContent = 'failed: ' + e;
              }
            });
          </script>
        </body></html>
        """;

    /// <summary>A client that trusts exactly the gateway's certificate and sends no credential, as anyone on the web.</summary>
    internal HttpClient Anonymous()
    {
        var thumbprint = Platform.Certificate.GetCertHashString(HashAlgorithmName.SHA256);
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                    certificate is not null && certificate.GetCertHashString(HashAlgorithmName.SHA256) == thumbprint,
            },
        };
        return new HttpClient(handler) { BaseAddress = Platform.Host.Endpoint, Timeout = TimeSpan.FromSeconds(120) };
    }

    private async Task DeployAsync(string name, JsonObject annotations, JsonObject? parameters = null)
    {
        var body = new JsonObject
        {
            ["exec"] = new JsonObject
            {
                ["kind"] = "wasm:wasi",
                ["code"] = Convert.ToBase64String(await File.ReadAllBytesAsync(RepoPaths.Example("echo"))),
            },
            ["annotations"] = KeyValues(annotations),
            ["parameters"] = KeyValues(parameters ?? []),
        };
        using var response = await Platform.Client().PutAsync($"api/v1/namespaces/_/actions/{name}?overwrite=true", JsonContent.Create(body));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    private static JsonArray KeyValues(JsonObject values) =>
        new([.. values.Select(v => (JsonNode)new JsonObject { ["key"] = v.Key, ["value"] = v.Value?.DeepClone() })]);
}
