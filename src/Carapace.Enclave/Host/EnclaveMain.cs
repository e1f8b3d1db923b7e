using Carapace.Enclave.Runtime;

namespace Carapace.Enclave.Host;

/// <summary>Parses the enclave's command line and runs its loop over standard input and output.</summary>
internal static class EnclaveMain
{
    public static async Task<int> RunAsync(string[] args)
    {
        // The protocol owns standard output: anything else printed by accident goes to stderr.
        var channelOut = Console.OpenStandardOutput();
        Console.SetOut(Console.Error);
        var platformKey = SimulatedPlatform.DefaultPath;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--platform-key" && i + 1 < args.Length)
            {
                platformKey = args[++i];
            }
            else
            {
                await Console.Error.WriteLineAsync($"carapace-enclave: unknown argument '{args[i]}' (this program is started by a Carapace worker)").ConfigureAwait(false);
                return 2;
            }
        }

        try
        {
            using var host = new EnclaveHost(AppContext.BaseDirectory, platformKey);
            return await host.RunAsync(Console.OpenStandardInput(), channelOut, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or Envelope.Keys.KeyFileException)
        {
            await Console.Error.WriteLineAsync("carapace-enclave: cannot start: " + e.Message).ConfigureAwait(false);
            return 1;
        }
    }
}
