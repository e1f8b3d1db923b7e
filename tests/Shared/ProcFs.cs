using System.Globalization;

namespace Carapace.Tests;

/// <summary>What /proc says about processes of this user: parents, states, command lines and CPU time, and bounded waits on them.</summary>
internal static class ProcFs
{
    /// <summary>Clock ticks per second in /proc/PID/stat (USER_HZ, 100 on Linux).</summary>
    private const double TicksPerSecond = 100;

    /// <summary>The process's state letter (R, S, D, Z, …), or null when there is no such process.</summary>
    public static char? StateOf(int pid) => Stat(pid, pid) is { } fields ? fields[0][0] : null;

    /// <summary>True when the process has exited (no /proc entry, or a zombie nobody has reaped yet).</summary>
    public static bool IsGone(int pid) => StateOf(pid) is null or 'Z' or 'X';

    /// <summary>The NUL-separated command line, or null when there is no such process.</summary>
    public static string? CommandLine(int pid) => Read($"/proc/{pid}/cmdline");

    /// <summary>CPU time (user and system) one thread of a process has used.</summary>
    public static TimeSpan ThreadCpu(int pid, int tid) => Stat(pid, tid) is { } fields
        ? TimeSpan.FromSeconds((long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond)
        : TimeSpan.Zero;

    /// <summary>The live children of <paramref name="parent"/>.</summary>
    public static IReadOnlyList<int> ChildrenOf(int parent)
    {
        var children = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                && Stat(pid, pid) is { } fields && fields[1] == parent.ToString(CultureInfo.InvariantCulture) && fields[0] is not ("Z" or "X"))
            {
                children.Add(pid);
            }
        }

        return children;
    }

    /// <summary>The first child of <paramref name="parent"/> whose command line contains <paramref name="marker"/>, waiting up to <paramref name="timeout"/>.</summary>
    /// <exception cref="TimeoutException">None appeared in time.</exception>
    public static async Task<int> WaitForChildAsync(int parent, string marker, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            foreach (var child in ChildrenOf(parent))
            {
                if (CommandLine(child)?.Contains(marker, StringComparison.Ordinal) == true)
                {
                    return child;
                }
            }

            await Task.Delay(20);
        }

        throw new TimeoutException($"no child of process {parent} running {marker} appeared within {timeout.TotalSeconds} s");
    }

    /// <summary>Waits until <paramref name="condition"/> holds, up to <paramref name="timeout"/>; false when it never did.</summary>
    public static async Task<bool> WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow >= deadline)
            {
                return false;
            }

            await Task.Delay(50);
        }

        return true;
    }

    /// <summary>The files a process has mapped into memory (code, data, memory-mapped assemblies), by full path.</summary>
    public static HashSet<string> MappedFiles(int pid) =>
        [.. File.ReadAllLines($"/proc/{pid}/maps")
            .Select(line => line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries))
            .Where(fields => fields.Length == 6 && fields[5].StartsWith('/'))
            .Select(fields => fields[5].Trim())];

    /// <summary>The inodes of the sockets among a process's open file descriptors.</summary>
    public static HashSet<string> SocketInodes(int pid) =>
        [.. Directory.GetFiles($"/proc/{pid}/fd")
            .Select(fd => new FileInfo(fd).LinkTarget)
            .Where(target => target is not null && target.StartsWith("socket:[", StringComparison.Ordinal))
            .Select(target => target![8..^1])];

    /// <summary>
    /// The inodes of the listening sockets in a process's network namespace: TCP sockets in LISTEN (state 0A) from
    /// /proc/PID/net/tcp and tcp6, every UDP socket (bound, so it receives) from udp and udp6, and Unix sockets that
    /// accept connections (flag __SO_ACCEPTCON) from unix.
    /// </summary>
    public static HashSet<string> ListeningSocketInodes(int pid)
    {
        var inodes = new HashSet<string>();
        foreach (var (table, listening) in new (string, Func<string[], bool>)[]
        {
            ("tcp", fields => fields[3] == "0A"), ("tcp6", fields => fields[3] == "0A"), ("udp", _ => true), ("udp6", _ => true),
        })
        {
            var path = $"/proc/{pid}/net/{table}";
            if (File.Exists(path))
            {
                inodes.UnionWith(File.ReadAllLines(path).Skip(1)
                    .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    .Where(fields => fields.Length > 9 && listening(fields))
                    .Select(fields => fields[9]));
            }
        }

        // unix: Num RefCount Protocol Flags Type St Inode [Path]; __SO_ACCEPTCON is 0x10000 in Flags.
        var unix = $"/proc/{pid}/net/unix";
        if (File.Exists(unix))
        {
            inodes.UnionWith(File.ReadAllLines(unix).Skip(1)
                .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Where(fields => fields.Length > 6 && (int.Parse(fields[3], NumberStyles.HexNumber, CultureInfo.InvariantCulture) & 0x10000) != 0)
                .Select(fields => fields[6]));
        }

        return inodes;
    }

    /// <summary>Sends SIGKILL to <paramref name="pid"/> if it still runs (cleanup after a failed check).</summary>
    public static void KillIfAlive(int pid)
    {
        if (IsGone(pid))
        {
            return;
        }

        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            process.Kill();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Gone meanwhile.
        }
    }

    /// <summary>The fields of /proc/PID/task/TID/stat after the command name: [0] state, [1] ppid, … [11] utime, [12] stime.</summary>
    private static string[]? Stat(int pid, int tid)
    {
        var text = Read($"/proc/{pid}/task/{tid}/stat");
        var close = text?.LastIndexOf(')') ?? -1;
        return close < 0 ? null : text![(close + 2)..].Split(' ');
    }

    private static string? Read(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
