using System.Diagnostics;
using System.Text;

namespace Carapace.Cli.Tests;

/// <summary>Runs the real <c>carapace</c> CLI (the built carapace.dll beside the tests) as a child process.</summary>
internal static class CarapaceProcess
{
    private static readonly string s_dll = Path.Combine(AppContext.BaseDirectory, "carapace.dll");

    public sealed record Result(int ExitCode, byte[] Stdout, string Stderr)
    {
        public string StdoutText => Encoding.UTF8.GetString(Stdout);

        public string[] StderrLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    public static Task<Result> RunAsync(string workingDirectory, byte[]? stdin, params string[] args) =>
        RunAsync(workingDirectory, stdin, null, args);

    /// <summary>Runs the CLI with extra environment variables (e.g. CARAPACE_HOME for an isolated home).</summary>
    public static async Task<Result> RunAsync(string workingDirectory, byte[]? stdin, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(s_dll);
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var stdout = new MemoryStream();
        var copyOut = process.StandardOutput.BaseStream.CopyToAsync(stdout, timeout.Token);
        var readErr = process.StandardError.ReadToEndAsync(timeout.Token);
        if (stdin is not null)
        {
            try
            {
                await process.StandardInput.BaseStream.WriteAsync(stdin, timeout.Token);
            }
            catch (IOException)
            {
                // The command may exit before reading all its input (e.g. on a bad header); that is its answer.
            }
        }

        process.StandardInput.Close();
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"carapace {string.Join(' ', args)} did not finish within 120 s");
        }

        await copyOut;
        return new Result(process.ExitCode, stdout.ToArray(), await readErr);
    }
}
