using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Carapace.Cli.Tests.Attestation;

/// <summary>
/// Runs the real <c>carapace</c> CLI with <c>CARAPACE_HOME</c> set to a fresh folder, so simulation quoting keys never
/// come from (or go to) the developer's own home, and reads the vectors in <c>TestData/attestation</c>.
/// </summary>
public abstract class AttestFixture : IDisposable
{
    private static readonly string _dll = Path.Combine(AppContext.BaseDirectory, "carapace.dll");

    private readonly TempDir _dir = new();

    private protected TempDir Dir => _dir;

    /// <summary>The CARAPACE_HOME of every command these tests run.</summary>
    private protected string Home => _dir.File("home");

    public void Dispose() => _dir.Dispose();

    /// <summary>The path of a vector in tests/Carapace.Cli.Tests/TestData/attestation (see the README there).</summary>
    private protected static string Vector(string name)
    {
        var path = Path.Combine(RepoPaths.Root, "tests", "Carapace.Cli.Tests", "TestData", "attestation", name);
        return File.Exists(path) ? path : throw new FileNotFoundException("missing attestation test vector", path);
    }

    private protected static JsonElement Json(CarapaceProcess.Result result)
    {
        using var document = JsonDocument.Parse(result.Stdout);
        return document.RootElement.Clone();
    }

    private protected async Task<CarapaceProcess.Result> Run(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = _dir.Path,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(_dll);
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["CARAPACE_HOME"] = Home;
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var stdout = new MemoryStream();
        var copyOut = process.StandardOutput.BaseStream.CopyToAsync(stdout, timeout.Token);
        var readErr = process.StandardError.ReadToEndAsync(timeout.Token);
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
        return new CarapaceProcess.Result(process.ExitCode, stdout.ToArray(), await readErr);
    }

    private protected static int Count(string text, string part)
    {
        var count = 0;
        for (var i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + part.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    private protected static string Describe(CarapaceProcess.Result result) =>
        $"exit {result.ExitCode}\nstdout:\n{Encoding.UTF8.GetString(result.Stdout)}\nstderr:\n{result.Stderr}";
}
