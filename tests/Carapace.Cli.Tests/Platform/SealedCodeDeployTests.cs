using System.Text;
using Carapace.Cli.Tests.Functions;

namespace Carapace.Cli.Tests.Platform;

/// <summary>
/// <c>carapace deploy --sealed-code</c> against a real <c>carapace up</c>: the action runs, and no window of its module is
/// anywhere in the platform's data directory (store, images, module cache, logs), while a module deployed in the clear is.
/// </summary>
public sealed class SealedCodeDeployTests(RunningPlatform platform) : IClassFixture<RunningPlatform>
{
    [Fact]
    public async Task A_sealed_action_runs_and_its_module_is_nowhere_in_the_data_directory()
    {
        var sealedModule = await File.ReadAllBytesAsync(RepoPaths.Example("hello"));
        var clearModule = await File.ReadAllBytesAsync(RepoPaths.Example("wordcount"));

        var deploy = await platform.RunAsync(null, "deploy", "sealed-hello", RepoPaths.Example("hello"), "--memory", "128", "--sealed-code");
        var invoke = await platform.RunAsync(Encoding.UTF8.GetBytes("kept from the operator"), "invoke", "sealed-hello");
        var clear = await platform.RunAsync(null, "deploy", "clear-count", RepoPaths.Example("wordcount"), "--memory", "128");
        var counted = await platform.RunAsync(Encoding.UTF8.GetBytes("a b\n"), "invoke", "clear-count");

        Assert.True(deploy.ExitCode == 0, deploy.Stderr);
        Assert.True(invoke.ExitCode == 0, invoke.Stderr);
        Assert.Equal("KEPT FROM THE OPERATOR", invoke.StdoutText.Trim());
        Assert.True(clear.ExitCode == 0 && counted.ExitCode == 0, clear.Stderr + counted.Stderr);

        var files = Directory.GetFiles(platform.DataDirectory, "*", SearchOption.AllDirectories);
        // Windows hello shares with wordcount (wasi-libc's code, linked into both) are left out: they are public anyway.
        var holdingSealed = files.Where(f => SealedCodeScan.Contains(ReadShared(f), sealedModule, excluding: clearModule)).ToList();
        Assert.True(holdingSealed.Count == 0, "bytes of the sealed module in: " + string.Join(", ", holdingSealed));
        // Control: the scan finds a module that was deployed in the clear (in the store and the module cache).
        Assert.Contains(files, f => SealedCodeScan.Contains(ReadShared(f), clearModule));
    }

    private static byte[] ReadShared(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            return copy.ToArray();
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
        {
            return []; // gone since the listing (a lane file, a journal) or a socket
        }
    }
}
