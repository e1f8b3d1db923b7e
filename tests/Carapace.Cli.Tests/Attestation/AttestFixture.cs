using System.Text;
using System.Text.Json;

namespace Carapace.Cli.Tests.Attestation;

/// <summary>
/// Runs the real <c>carapace</c> CLI with <c>CARAPACE_HOME</c> set to a fresh folder, so simulation quoting keys never
/// come from (or go to) the developer's own home, and reads the vectors in <c>TestData/attestation</c>.
/// </summary>
public abstract class AttestFixture : IDisposable
{
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

    private protected Task<CarapaceProcess.Result> Run(params string[] args) =>
        CarapaceProcess.RunAsync(_dir.Path, null, new Dictionary<string, string> { ["CARAPACE_HOME"] = Home }, args);

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
