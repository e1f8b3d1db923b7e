using System.Text;

namespace Carapace.Cli.Tests;

/// <summary>Helpers shared by the CLI tests: a temp dir with a fresh master key, and sealing through the CLI.</summary>
public abstract class CliFixture : IDisposable
{
    private readonly TempDir _dir = new();

    private protected TempDir Dir => _dir;

    private protected string KeyPath => _dir.File("ns.key");

    public void Dispose() => _dir.Dispose();

    private protected Task<CarapaceProcess.Result> Run(byte[]? stdin, params string[] args) =>
        CarapaceProcess.RunAsync(_dir.Path, stdin, args);

    private protected async Task<string> NewKeyAsync(string? path = null)
    {
        var result = await Run(null, "key", "new", "--out", path ?? KeyPath);
        Assert.Equal(0, result.ExitCode);
        return result.StdoutText.Trim();
    }

    private protected async Task<byte[]> SealAsync(byte[] plaintext, params string[] extra)
    {
        var result = await Run(plaintext, ["seal", "--key", KeyPath, .. extra]);
        Assert.True(result.ExitCode == 0, result.Stderr);
        return result.Stdout;
    }

    private protected static byte[] Text(string s) => Encoding.UTF8.GetBytes(s);
}
