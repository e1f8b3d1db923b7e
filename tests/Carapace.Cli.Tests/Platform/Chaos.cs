using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Carapace.Cli.Tests.Platform;

/// <summary>What the chaos tests do to a running <c>carapace up</c> and check afterwards: signals, a squatted port, SQLite integrity.</summary>
internal static class Chaos
{
    public const int SigKill = 9;
    public const int SigStop = 19;

    /// <summary>The pid of the running <c>carapace kms start</c> child of the platform on <paramref name="dataDirectory"/>.</summary>
    public static int KmsOf(string dataDirectory)
    {
        var found = Directory.EnumerateDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : 0)
            .Where(pid => pid > 0 && CommandLine(pid) is { } line
                && line.Contains("\0kms\0start\0", StringComparison.Ordinal) && line.Contains(dataDirectory, StringComparison.Ordinal)
                && State(pid) is not ('Z' or 'X'))
            .ToList();
        Assert.True(found.Count == 1, $"expected one KMS process for {dataDirectory}, found {found.Count}");
        return found[0];
    }

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/>.</summary>
    public static void Signal(int pid, int signal) => Assert.Equal(0, Kill(pid, signal));

    /// <summary>The state letter of /proc/PID/stat (R, S, T stopped, Z zombie …), or null once the process is gone.</summary>
    public static char? State(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[stat.LastIndexOf(')') + 2];
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Waits until <paramref name="pid"/> is in a state <paramref name="accept"/> takes (null: gone), at most <paramref name="timeout"/>.</summary>
    public static async Task WaitForStateAsync(int pid, Func<char?, bool> accept, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!accept(State(pid)))
        {
            Assert.True(DateTime.UtcNow < deadline, $"process {pid} did not {what} within {timeout.TotalSeconds} s (state {State(pid)})");
            await Task.Delay(5);
        }
    }

    /// <summary>Listens on <paramref name="port"/> of loopback as soon as it can (retrying for <paramref name="timeout"/>): another process taking the port.</summary>
    public static async Task<Socket> SquatAsync(int port, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
                socket.Listen(1);
                return socket;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                socket.Dispose();
                await Task.Delay(2);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
    }

    /// <summary><c>PRAGMA integrity_check</c> of a SQLite file, read-only: "ok" when it is intact.</summary>
    public static string IntegrityCheck(string database)
    {
        Assert.True(File.Exists(database), $"{database} does not exist");
        using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA integrity_check";
        return (string)command.ExecuteScalar()!;
    }

    /// <summary>The platform's three SQLite files under a data directory: controller, KMS, gateway credentials.</summary>
    public static IReadOnlyList<string> Databases(string dataDirectory) =>
    [
        Path.Combine(dataDirectory, "controller", "controller.db"),
        Path.Combine(dataDirectory, "kms", "kms.db"),
        Path.Combine(dataDirectory, "gateway", "credentials.db"),
    ];

    /// <summary>Checks that an activation exists and has ended (a response and an end time), and returns it.</summary>
    public static async Task<JsonElement> AssertEndedAsync(PlatformHttp platform, string id)
    {
        var record = await platform.ActivationAsync(id);
        Assert.True(record is not null, $"activation {id} was acknowledged but is not recorded");
        var activation = record.Value;
        Assert.True(activation.TryGetProperty("end", out var end) && end.ValueKind == JsonValueKind.Number && end.GetInt64() > 0,
            $"activation {id} has not ended: {activation}");
        Assert.Equal(JsonValueKind.Object, activation.GetProperty("response").ValueKind);
        return activation;
    }

    private static string? CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Kill(int pid, int signal);
}
