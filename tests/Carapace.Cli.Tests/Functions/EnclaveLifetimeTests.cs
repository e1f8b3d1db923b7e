using System.Diagnostics;

namespace Carapace.Cli.Tests.Functions;

/// <summary>
/// <c>carapace run</c> is a real worker process with one enclave child. Killed with SIGKILL while the enclave runs a
/// function that would spin for two minutes, it cannot tell the enclave anything; the enclave must still end within seconds.
/// </summary>
public sealed class EnclaveLifetimeTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task An_enclave_running_a_long_function_ends_soon_after_its_worker_is_killed()
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = _dir.Path,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "carapace.dll"), "run", RepoPaths.Example("spin"), "--timeout", "120s",
            "--cache-dir", _dir.File("cache") })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["CARAPACE_HOME"] = _dir.Path;
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var run = Process.Start(start)!;
        run.OutputDataReceived += (_, _) => { };
        run.ErrorDataReceived += (_, _) => { };
        run.BeginOutputReadLine();
        run.BeginErrorReadLine();
        run.StandardInput.Close();
        var enclave = -1;
        try
        {
            enclave = await ProcFs.WaitForChildAsync(run.Id, "enclave/Carapace.Enclave", TimeSpan.FromSeconds(60));

            // The guest spins on the enclave's main thread: once that thread has used seconds of CPU (start-up and
            // specialisation take a fraction of one), the function is running and the thread is not reading its pipe.
            Assert.True(await ProcFs.WaitUntilAsync(() => ProcFs.ThreadCpu(enclave, enclave) >= TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(120)),
                $"enclave {enclave} never got busy running the function (state {ProcFs.StateOf(enclave)})");

            run.Kill();

            Assert.True(await ProcFs.WaitUntilAsync(() => ProcFs.IsGone(enclave), TimeSpan.FromSeconds(10)),
                $"enclave {enclave} still runs 10 s after its worker was killed with SIGKILL (state {ProcFs.StateOf(enclave)})");
        }
        finally
        {
            if (!run.HasExited)
            {
                run.Kill();
            }

            if (enclave > 0)
            {
                ProcFs.KillIfAlive(enclave);
            }
        }
    }
}
