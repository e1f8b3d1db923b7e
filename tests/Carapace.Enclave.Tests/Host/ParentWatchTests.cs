using System.Diagnostics;

namespace Carapace.Enclave.Tests.Host;

/// <summary>
/// A real enclave process whose parent (a shell standing in for the worker) is killed with SIGKILL while the test
/// keeps the enclave's pipes open: only the enclave's watch of its parent can end it, and it must, within seconds.
/// </summary>
public sealed class ParentWatchTests : IDisposable
{
    private static readonly TimeSpan Ends = TimeSpan.FromSeconds(10);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "carapace-parent-watch-" + Guid.NewGuid().ToString("N"));

    public ParentWatchTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task An_idle_enclave_ends_when_its_parent_is_killed_though_its_input_pipe_stays_open()
    {
        // No --parent: the parent at start is the one watched (a worker always passes its own id).
        using var shell = StartUnderShell(passParent: false);
        var enclave = await ProcFs.WaitForChildAsync(shell.Id, "enclave/Carapace.Enclave", TimeSpan.FromSeconds(30));
        try
        {
            // The Ready frame: the enclave is started and idle, blocked reading the pipe the test still holds open.
            var first = new byte[1];
            using var ready = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            Assert.Equal(1, await shell.StandardOutput.BaseStream.ReadAsync(first, ready.Token));

            shell.Kill();

            Assert.True(await ProcFs.WaitUntilAsync(() => ProcFs.IsGone(enclave), Ends),
                $"enclave {enclave} still runs {Ends.TotalSeconds} s after its parent was killed (state {ProcFs.StateOf(enclave)})");
        }
        finally
        {
            ProcFs.KillIfAlive(enclave);
        }
    }

    [Fact]
    public async Task An_enclave_whose_parent_is_killed_while_it_starts_ends_too()
    {
        using var shell = StartUnderShell(passParent: true);
        var enclave = await ProcFs.WaitForChildAsync(shell.Id, "enclave/Carapace.Enclave", TimeSpan.FromSeconds(30));
        try
        {
            shell.Kill();

            Assert.True(await ProcFs.WaitUntilAsync(() => ProcFs.IsGone(enclave), TimeSpan.FromSeconds(30)),
                $"enclave {enclave} still runs after its parent was killed during its start (state {ProcFs.StateOf(enclave)})");
        }
        finally
        {
            ProcFs.KillIfAlive(enclave);
        }
    }

    /// <summary>
    /// <c>sh</c> starting the enclave in the background on the shell's own standard input (kept on fd 3, since a
    /// background job's input is otherwise /dev/null) and waiting: the test holds both ends of the enclave's pipes.
    /// </summary>
    private Process StartUnderShell(bool passParent)
    {
        var start = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add($"exec 3<&0; \"$0\" --platform-key \"$1\" {(passParent ? "--parent $$" : "")} <&3 3<&- & wait");
        start.ArgumentList.Add(RepoPaths.NativeEnclave);
        start.ArgumentList.Add(Path.Combine(_dir, "sim", "platform.key"));
        start.Environment["CARAPACE_HOME"] = _dir;
        start.Environment["DOTNET_NOLOGO"] = "1";
        var shell = Process.Start(start)!;
        shell.ErrorDataReceived += (_, _) => { };
        shell.BeginErrorReadLine();
        return shell;
    }
}
