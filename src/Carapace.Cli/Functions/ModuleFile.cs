using Carapace.Cli.Infrastructure;
using Carapace.Functions.Modules;

namespace Carapace.Cli.Functions;

/// <summary>
/// A module file given on the command line (<c>deploy</c>, <c>run</c>, <c>measure</c>), read and checked before
/// anything is uploaded, run or measured: a file that is not a WASI preview 1 command module Carapace can run is
/// refused with what is wrong and how to build one (<see cref="CommandModule"/>, the rules the gateway applies).
/// </summary>
internal static class ModuleFile
{
    /// <exception cref="CliFailure">The file is missing (exit 3) or not a module Carapace runs (exit 1).</exception>
    public static async Task<byte[]> ReadAsync(string path, CancellationToken cancel)
    {
        if (!File.Exists(path))
        {
            throw new CliFailure($"module file {path} does not exist", ExitCodes.IoError);
        }

        var bytes = await File.ReadAllBytesAsync(path, cancel).ConfigureAwait(false);
        Check(path, bytes);
        return bytes;
    }

    /// <exception cref="CliFailure">The file is missing (exit 3) or not a module Carapace runs (exit 1).</exception>
    public static byte[] Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new CliFailure($"module file {path} does not exist", ExitCodes.IoError);
        }

        var bytes = File.ReadAllBytes(path);
        Check(path, bytes);
        return bytes;
    }

    private static void Check(string path, byte[] bytes)
    {
        var validation = CommandModule.Validate(bytes);
        if (!validation.IsValid)
        {
            throw new CliFailure(validation.Describe(path));
        }
    }
}
