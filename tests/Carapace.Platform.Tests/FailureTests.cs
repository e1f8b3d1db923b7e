using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Carapace.Controller;
using Carapace.Controller.Activations;
using Carapace.Controller.Registry;
using Carapace.Envelope.Format;
using Carapace.Envelope.Sealing;
using Carapace.Gateway;
using Carapace.Protocol;

namespace Carapace.Platform.Tests;

/// <summary>
/// How the real platform fails: unknown actions and oversized bodies get OpenWhisk errors, a function that runs too
/// long is the developer's error, an enclave killed mid-invocation is a recorded platform failure after which the pool
/// serves again, and a step a stopped platform left claimed becomes a recorded failure at the next start.
/// </summary>
public sealed class FailureTests
{
    private const string EnvelopeType = "application/vnd.carapace.envelope";

    [Fact]
    public async Task An_unknown_action_is_404_with_openwhisk_error_json()
    {
        await using var platform = await PlatformFixture.StartAsync();
        await platform.DeployAsync("hello", "hello");
        using var keys = await platform.ChainKeysAsync("hello");

        using var response = await platform.Client().PostAsync("api/v1/namespaces/_/actions/nowhere?blocking=true", Sealed(keys, "x"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var (error, _) = await OpenWhiskErrorAsync(response);
        Assert.Equal("The requested resource does not exist.", error);
    }

    [Fact]
    public async Task A_body_over_the_limit_is_413_with_openwhisk_error_json_and_runs_nothing()
    {
        await using var platform = await PlatformFixture.StartAsync(maxInvocationBytes: 4096);
        await platform.DeployAsync("hello", "hello");
        using var keys = await platform.ChainKeysAsync("hello");
        var client = platform.Client();

        using var tooLarge = await client.PostAsync("api/v1/namespaces/_/actions/hello?blocking=true", Sealed(keys, new string('x', 8192)));
        using var small = await client.PostAsync("api/v1/namespaces/_/actions/hello?blocking=true&result=true", Sealed(keys, "fits"));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        var (error, _) = await OpenWhiskErrorAsync(tooLarge);
        Assert.Contains("4096", error, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, small.StatusCode);
        Assert.Single(platform.Host.Activations.List(PlatformFixture.Namespace, "hello", PageRequest.Default));
    }

    [Fact]
    public async Task A_function_timeout_is_recorded_as_an_action_developer_error_with_a_clear_message()
    {
        await using var platform = await PlatformFixture.StartAsync();
        await platform.DeployAsync("spin", "spin", timeoutMs: 500);
        using var keys = await platform.ChainKeysAsync("spin");
        var client = platform.Client();

        using var response = await client.PostAsync("api/v1/namespaces/_/actions/spin?blocking=true", Sealed(keys, ""));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var id = response.Headers.GetValues("Carapace-Activation-Id").Single();
        using var record = JsonDocument.Parse(await client.GetStringAsync($"api/v1/namespaces/_/activations/{id}"));
        var root = record.RootElement;
        Assert.Equal(id, root.GetProperty("activationId").GetString());
        Assert.Equal(2, root.GetProperty("statusCode").GetInt32());
        Assert.True(root.GetProperty("end").GetInt64() >= root.GetProperty("start").GetInt64());
        Assert.Equal("action developer error", root.GetProperty("response").GetProperty("status").GetString());
        Assert.False(root.GetProperty("response").GetProperty("success").GetBoolean());
        Assert.Equal("The action exceeded its time limits of 500 milliseconds.", root.GetProperty("response").GetProperty("result").GetProperty("error").GetString());
    }

    [Fact]
    public async Task An_enclave_killed_mid_invocation_is_a_recorded_failure_and_the_pool_serves_again()
    {
        await using var platform = await PlatformFixture.StartAsync(maxEnclavesPerAction: 1);
        await platform.DeployAsync("spin", "spin", timeoutMs: 3_000);
        using var keys = await platform.ChainKeysAsync("spin");
        var client = platform.Client();
        var spin = platform.Host.Registry.Get(ActionName.Of(PlatformFixture.Namespace, "spin"))!;

        // The pool has one enclave for spin; running it once (to its timeout) tells which process it is.
        var warm = await platform.Host.Pools.For(spin).InvokeAsync(EnvelopeSealer.Seal(keys.Entry, [], new SealOptions { Function = "spin" }));
        Assert.Equal(InvocationStatus.Timeout, warm.Result.Status);
        var pid = warm.EnclaveProcessId;

        // Kill that process once it is spinning on the next invocation. Should the kill come too late (the run timed
        // out first), the enclave is still the pool's only one and the attempt is repeated.
        HttpResponseMessage? crashed = null;
        RequestId requestId = default;
        for (var attempt = 0; attempt < 3 && crashed is null; attempt++)
        {
            var busyFrom = CpuTicks(pid);
            var running = client.PostAsync("api/v1/namespaces/_/actions/spin?blocking=true", Sealed(keys, "", out requestId));
            for (var poll = 0; poll < 400 && !running.IsCompleted; poll++)
            {
                if (CpuTicks(pid) - busyFrom >= 20)
                {
                    using var process = Process.GetProcessById(pid);
                    process.Kill();
                    break;
                }

                await Task.Delay(10);
            }

            var response = await running;
            if (response.StatusCode == HttpStatusCode.BadGateway
                && (await ResponseOfAsync(response)).GetProperty("status").GetString() == "whisk internal error")
            {
                crashed = response;
            }
            else
            {
                response.Dispose();
            }
        }

        Assert.NotNull(crashed);
        using (crashed)
        {
            var id = crashed.Headers.GetValues("Carapace-Activation-Id").Single();
            using var record = JsonDocument.Parse(await client.GetStringAsync($"api/v1/namespaces/_/activations/{id}"));
            var response = record.RootElement.GetProperty("response");
            Assert.Equal("whisk internal error", response.GetProperty("status").GetString());
            Assert.False(response.GetProperty("success").GetBoolean());
            var error = response.GetProperty("result").GetProperty("error").GetString()!;
            Assert.Contains("lost", error, StringComparison.Ordinal);
            Assert.Contains(pid.ToString(CultureInfo.InvariantCulture), error, StringComparison.Ordinal);
            var claim = platform.Host.Activations.GetStep(requestId, "spin", 1);
            Assert.Equal(StepState.Failed, claim!.State);
        }

        // The pool replaced the enclave: the next invocation runs in a freshly specialised one, to its own timeout.
        using var next = await client.PostAsync("api/v1/namespaces/_/actions/spin?blocking=true", Sealed(keys, ""));
        Assert.Equal(HttpStatusCode.BadGateway, next.StatusCode);
        Assert.Equal("true", next.Headers.GetValues("Carapace-Cold").Single());
        var nextResponse = await ResponseOfAsync(next);
        Assert.Equal("action developer error", nextResponse.GetProperty("status").GetString());
        Assert.Equal("The action exceeded its time limits of 3000 milliseconds.", nextResponse.GetProperty("result").GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_step_left_claimed_by_a_stopped_platform_is_recorded_as_failed_at_the_next_start()
    {
        await using var platform = await PlatformFixture.StartAsync();
        await platform.DeployAsync("hello", "hello");
        using var keys = await platform.ChainKeysAsync("hello");
        var hello = platform.Host.Registry.Get(ActionName.Of(PlatformFixture.Namespace, "hello"))!;
        Assert.Equal(0, platform.Host.AbandonedSteps);

        // What a platform killed mid-step leaves behind: a pending activation whose step is claimed, never finished.
        var requestId = RequestId.New();
        ActivationId abandoned = default;
        await platform.RestartAsync(root =>
        {
            using var store = new ActivationStore(GatewayHost.ControllerDatabasePath(root));
            abandoned = store.Start(new ActivationStart
            {
                Action = hello.Name,
                Version = hello.Version,
                Subject = PlatformFixture.Namespace,
                Kind = hello.Exec.Kind,
                Limits = hello.Limits,
                RequestId = requestId,
                ChainId = "hello",
                Step = 1,
            }).ActivationId;
            Assert.True(store.TryClaimStep(requestId, "hello", 1, abandoned));
        });

        Assert.Equal(1, platform.Host.AbandonedSteps);
        var claim = platform.Host.Activations.GetStep(requestId, "hello", 1);
        Assert.Equal(StepState.Failed, claim!.State);
        Assert.Equal("the platform stopped while this step was running", claim.Error);
        var client = platform.Client();
        using var record = JsonDocument.Parse(await client.GetStringAsync($"api/v1/namespaces/_/activations/{abandoned}"));
        var response = record.RootElement.GetProperty("response");
        Assert.Equal("whisk internal error", response.GetProperty("status").GetString());
        Assert.Equal("the platform stopped while this step was running", response.GetProperty("result").GetProperty("error").GetString());

        // The restarted platform serves, and the abandoned request id still cannot run.
        using var fresh = await client.PostAsync("api/v1/namespaces/_/actions/hello?blocking=true", Sealed(keys, "after restart"));
        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        var again = EnvelopeSealer.Seal(keys.Entry, "retry"u8, new SealOptions { Function = "hello", RequestId = requestId });
        using var retried = await client.PostAsync("api/v1/namespaces/_/actions/hello?blocking=true", Content(again));
        Assert.Equal(HttpStatusCode.Conflict, retried.StatusCode);
    }

    internal static async Task<(string Error, string Code)> OpenWhiskErrorAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var properties = json.RootElement.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["code", "error"], properties);
        var error = json.RootElement.GetProperty("error").GetString()!;
        var code = json.RootElement.GetProperty("code").GetString()!;
        Assert.False(string.IsNullOrWhiteSpace(error));
        Assert.False(string.IsNullOrWhiteSpace(code));
        return (error, code);
    }

    private static async Task<JsonElement> ResponseOfAsync(HttpResponseMessage response)
    {
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("response").Clone();
    }

    /// <summary>User plus system CPU time of a process, in clock ticks (/proc/PID/stat fields 14 and 15); -1 once it is gone.</summary>
    private static long CpuTicks(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return -1;
        }
    }

    private static ByteArrayContent Sealed(ChainKeySet keys, string text) => Sealed(keys, text, out _);

    private static ByteArrayContent Sealed(ChainKeySet keys, string text, out RequestId requestId)
    {
        requestId = RequestId.New();
        return Content(EnvelopeSealer.Seal(keys.Entry, Encoding.UTF8.GetBytes(text), new SealOptions { Function = keys.Chain, RequestId = requestId }));
    }

    private static ByteArrayContent Content(byte[] envelope)
    {
        var content = new ByteArrayContent(envelope);
        content.Headers.ContentType = new MediaTypeHeaderValue(EnvelopeType);
        return content;
    }
}
