using System.Text.Json;
using Carapace.Client.Profiles;

namespace Carapace.Cli.Tests.Platform;

/// <summary><c>carapace up</c> as a user runs it: a real process, its KMS child, its data directory, SIGTERM.</summary>
public sealed class UpCommandTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Up_prints_how_to_reach_it_writes_a_private_profile_and_stops_cleanly_keeping_its_identity()
    {
        var data = _dir.File("data");
        string fingerprint, auth;
        await using (var up = await UpProcess.StartAsync(data))
        {
            Assert.Contains("Carapace is up: https://127.0.0.1:", up.Stdout, StringComparison.Ordinal);
            Assert.Contains("Try it: ./carapace deploy hello", up.Stdout, StringComparison.Ordinal);
            Assert.Contains("SIMULATION MODE", up.Stderr, StringComparison.Ordinal);

            var profilePath = PlatformProfile.PathIn(data);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(profilePath));
            var profile = PlatformProfile.Load(data);
            Assert.Equal("guest", profile.Namespace);
            Assert.Contains(profile.Auth, up.Stdout, StringComparison.Ordinal);
            Assert.Contains(profile.CaFingerprint, up.Stdout, StringComparison.Ordinal);
            Assert.NotNull(profile.Kms);
            fingerprint = profile.CaFingerprint;
            auth = profile.Auth;

            var status = await CarapaceProcess.RunAsync(_dir.Path, null, "status", "--data-dir", data);
            Assert.True(status.ExitCode == 0, status.Stderr);
            Assert.Contains($"gateway     {profile.Gateway}  up (namespace guest", status.StdoutText, StringComparison.Ordinal);
            Assert.Contains($"KMS         {profile.Kms.Url}  up since ", status.StdoutText, StringComparison.Ordinal);
            Assert.Contains("0 restarts", status.StdoutText, StringComparison.Ordinal);
            Assert.Contains("stem cells  ", status.StdoutText, StringComparison.Ordinal);

            Assert.Equal(0, await up.StopAsync());
            Assert.Contains("Carapace stopped; every activation is recorded.", up.Stderr, StringComparison.Ordinal);
        }

        // A second start keeps the CA clients pinned and the credential they hold.
        await using (var again = await UpProcess.StartAsync(data))
        {
            var profile = PlatformProfile.Load(data);
            Assert.Equal(fingerprint, profile.CaFingerprint);
            Assert.Equal(auth, profile.Auth);
            Assert.Equal(0, await again.StopAsync());
        }

        using var document = JsonDocument.Parse(await File.ReadAllBytesAsync(PlatformProfile.PathIn(data)));
        Assert.Equal("owner.key", document.RootElement.GetProperty("ownerKey").GetString());

        // Stopped: status says the gateway cannot be reached, and exits 3.
        var down = await CarapaceProcess.RunAsync(_dir.Path, null, "status", "--data-dir", data, "--json");
        Assert.Equal(3, down.ExitCode);
        using var json = JsonDocument.Parse(down.Stdout);
        Assert.False(json.RootElement.GetProperty("healthy").GetBoolean());
        Assert.False(json.RootElement.GetProperty("gateway").GetProperty("reachable").GetBoolean());
        Assert.False(string.IsNullOrEmpty(json.RootElement.GetProperty("gateway").GetProperty("error").GetString()));
    }

    [Fact]
    public async Task Status_without_a_platform_says_there_is_none_and_exits_3()
    {
        var result = await CarapaceProcess.RunAsync(_dir.Path, null, "status", "--data-dir", _dir.File("nothing"));

        Assert.Equal(3, result.ExitCode);
        Assert.Contains("DOWN: no platform: ", result.StdoutText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sigterm_lets_a_running_invocation_finish_and_be_recorded_however_long_the_drain_takes()
    {
        // The drain below outlasts the 2 s after which the command-line library used to end the process (exit 143).
        var data = _dir.File("data");
        var env = new Dictionary<string, string> { ["CARAPACE_HOME"] = data };
        await using var up = await UpProcess.StartAsync(data);
        var deploy = await CarapaceProcess.RunAsync(_dir.Path, null, env,
            "deploy", "slow", RepoPaths.Example("spin"), "--memory", "128", "--timeout", "4s", "--data-dir", data);
        Assert.True(deploy.ExitCode == 0, deploy.Stderr);
        var started = await CarapaceProcess.RunAsync(_dir.Path, [], env, "invoke", "slow", "--no-wait", "--data-dir", data);
        Assert.True(started.ExitCode == 0, started.Stderr);
        var id = started.StdoutText.Trim();

        // Running: the one stem cell was taken for it (the pool then starts a second enclave to refill), and the
        // invocation follows its specialisation at once; half a second more and it is surely inside the function.
        using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            while (ProcFs.ChildrenOf(up.ProcessId).Count(p => ProcFs.CommandLine(p)?.Contains("Carapace.Enclave", StringComparison.Ordinal) == true) < 2)
            {
                await Task.Delay(50, deadline.Token);
            }
        }

        await Task.Delay(500);

        Assert.Equal(0, await up.StopAsync());
        Assert.Contains("Carapace stopped; every activation is recorded.", up.Stderr, StringComparison.Ordinal);

        await using var again = await UpProcess.StartAsync(data);
        var get = await CarapaceProcess.RunAsync(_dir.Path, null, env, "activations", "get", id, "--data-dir", data);
        Assert.True(get.ExitCode == 0, get.Stderr);
        Assert.Contains("timeout", get.StdoutText, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("platform stopped", get.StdoutText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_kms_child_does_not_outlive_a_killed_up()
    {
        var data = _dir.File("data");
        await using var up = await UpProcess.StartAsync(data);
        var kms = System.Diagnostics.Process.GetProcesses()
            .Where(p => CommandLine(p.Id) is { } line && line.Contains("\0kms\0start\0", StringComparison.Ordinal) && line.Contains(data, StringComparison.Ordinal))
            .ToList();
        Assert.Single(kms);

        System.Diagnostics.Process.GetProcessById(up.ProcessId).Kill();

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await kms[0].WaitForExitAsync(timeout.Token);
        Assert.True(kms[0].HasExited);
    }

    private static string? CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    [Fact]
    public async Task Up_refuses_a_bad_port_with_a_usage_error()
    {
        var result = await CarapaceProcess.RunAsync(_dir.Path, null, "up", "--data-dir", _dir.File("d"), "--port", "70000");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--port 70000 is outside 0..65535", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Up_refuses_telemetry_options_that_do_not_fit_with_a_usage_error_before_starting_anything()
    {
        var data = _dir.File("t");
        var unknown = await CarapaceProcess.RunAsync(_dir.Path, null, "up", "--data-dir", data, "--telemetry", "zipkin");
        var notOtlp = await CarapaceProcess.RunAsync(_dir.Path, null, "up", "--data-dir", data, "--otlp-endpoint", "http://127.0.0.1:4317");
        var badUrl = await CarapaceProcess.RunAsync(_dir.Path, null, "up", "--data-dir", data, "--telemetry", "otlp", "--otlp-endpoint", "collector:4317");
        var notHttp = await CarapaceProcess.RunAsync(_dir.Path, null, "up", "--data-dir", data, "--telemetry", "otlp", "--otlp-endpoint", "ftp://127.0.0.1:4317");

        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("zipkin", unknown.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, notOtlp.ExitCode);
        Assert.Contains("--otlp-endpoint: an OTLP endpoint applies only to the OTLP exporter", notOtlp.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, badUrl.ExitCode);
        Assert.Contains("absolute", badUrl.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, notHttp.ExitCode);
        Assert.Contains("must be an absolute http or https URL", notHttp.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(data, "platform.json")));
    }
}
