using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;

namespace Carapace.Tests;

/// <summary>
/// Runs a script with the official OpenWhisk JavaScript client (npm <c>openwhisk</c>, pinned in
/// tests/clients/openwhisk-js; ./test.sh installs it) against a Carapace gateway, as an OpenWhisk user's program would.
/// </summary>
/// <remarks>
/// The script is the body of an async function with <c>ow</c> (the client, configured with the gateway's address and
/// the namespace's key) in scope; what it returns comes back as JSON. A rejected call comes back as
/// <see cref="OpenWhiskJsResult.Error"/> with the client's own error message and HTTP status, so tests can assert what
/// the client reports. The client trusts exactly the gateway's certificate (<c>NODE_EXTRA_CA_CERTS</c>), not every
/// certificate: nothing is run with TLS checks switched off.
/// </remarks>
internal static class OpenWhiskJs
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    /// <summary>The folder holding the pinned client and its node_modules.</summary>
    public static string ClientDirectory => Path.Combine(RepoPaths.Root, "tests", "clients", "openwhisk-js");

    /// <summary>Runs <paramref name="body"/> with <c>ow</c> connected to <paramref name="apiHost"/> as <paramref name="apiKey"/>.</summary>
    /// <param name="apiHost">The gateway's base address, e.g. <c>https://127.0.0.1:PORT</c>.</param>
    /// <param name="apiKey">The namespace's key in OpenWhisk's <c>UUID:KEY</c> form.</param>
    /// <param name="certificatePem">The gateway's certificate (PEM), the only one the client will trust.</param>
    /// <param name="body">JavaScript: the body of an async function; <c>return</c> gives the result.</param>
    /// <param name="timeout">How long the script may run before it is killed (60 s by default).</param>
    public static async Task<OpenWhiskJsResult> RunAsync(Uri apiHost, string apiKey, string certificatePem, string body, TimeSpan? timeout = null)
    {
        if (!File.Exists(Path.Combine(ClientDirectory, "node_modules", "openwhisk", "package.json")))
        {
            throw new InvalidOperationException(
                $"the npm openwhisk client is not installed in {ClientDirectory}: run ./test.sh, which installs it, or 'npm ci' in that folder");
        }

        var work = Directory.CreateTempSubdirectory("carapace-owjs-");
        try
        {
            var ca = Path.Combine(work.FullName, "gateway.pem");
            await File.WriteAllTextAsync(ca, certificatePem);
            var start = new ProcessStartInfo("node", ["-"])
            {
                WorkingDirectory = ClientDirectory,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.Environment["OW_APIHOST"] = apiHost.GetLeftPart(UriPartial.Authority);
            start.Environment["OW_API_KEY"] = apiKey;
            start.Environment["NODE_EXTRA_CA_CERTS"] = ca;
            // The client reads these when set; a developer's own OpenWhisk settings must not leak into the test.
            start.Environment.Remove("__OW_API_HOST");
            start.Environment.Remove("__OW_API_KEY");
            start.Environment.Remove("__OW_NAMESPACE");
            start.Environment.Remove("__OW_IGNORE_CERTS");

            using var node = Process.Start(start) ?? throw new InvalidOperationException("could not start node");
            var stdout = node.StandardOutput.ReadToEndAsync();
            var stderr = node.StandardError.ReadToEndAsync();
            await node.StandardInput.WriteAsync(Wrap(body));
            node.StandardInput.Close();

            using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
            try
            {
                await node.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                node.Kill(entireProcessTree: true);
                throw new TimeoutException($"the OpenWhisk client script did not finish within {(timeout ?? DefaultTimeout).TotalSeconds} s");
            }

            var output = await stdout;
            var errors = await stderr;
            var line = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault()
                ?? throw new InvalidOperationException($"the OpenWhisk client script printed nothing (exit {node.ExitCode}): {errors}");
            var outcome = JsonNode.Parse(line)!.AsObject();
            return outcome["ok"]!.GetValue<bool>()
                ? new OpenWhiskJsResult(outcome["value"]?.DeepClone(), null, null, null)
                : new OpenWhiskJsResult(null, outcome["message"]?.GetValue<string>() ?? "", outcome["statusCode"]?.GetValue<int>(), outcome["error"]?.DeepClone());
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static string Wrap(string body)
    {
        var script = new StringBuilder();
        script.AppendLine("'use strict';");
        script.AppendLine("const openwhisk = require('openwhisk');");
        script.AppendLine("const ow = openwhisk({ apihost: process.env.OW_APIHOST, api_key: process.env.OW_API_KEY });");
        script.AppendLine("(async () => {");
        script.AppendLine(body);
        script.AppendLine("})().then(");
        script.AppendLine("  value => { process.stdout.write('\\n' + JSON.stringify({ ok: true, value: value === undefined ? null : value }) + '\\n'); },");
        script.AppendLine("  e => { process.stdout.write('\\n' + JSON.stringify({ ok: false, message: String((e && e.message) || e),");
        script.AppendLine("    statusCode: (e && typeof e.statusCode === 'number') ? e.statusCode : null, error: (e && e.error) || null }) + '\\n'); });");
        return script.ToString();
    }
}

/// <summary>What an <see cref="OpenWhiskJs"/> script returned, or the client's error.</summary>
/// <param name="Value">The script's return value (JSON), when it succeeded.</param>
/// <param name="Error">The client's error message, when a call was rejected.</param>
/// <param name="StatusCode">The HTTP status the client reported with the error, if any.</param>
/// <param name="ErrorBody">The response body the client attached to the error, if any.</param>
internal sealed record OpenWhiskJsResult(JsonNode? Value, string? Error, int? StatusCode, JsonNode? ErrorBody)
{
    /// <summary>The value, or a failure naming the client's error.</summary>
    public JsonNode? Ok() => Error is null
        ? Value
        : throw new Xunit.Sdk.XunitException($"the OpenWhisk client failed: {Error} (status {StatusCode}) {ErrorBody?.ToJsonString()}");
}
