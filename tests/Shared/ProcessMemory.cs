using System.Globalization;

namespace Carapace.Tests;

/// <summary>Searches the readable memory of a process (this user's child) for a byte pattern, through /proc/PID/maps and /proc/PID/mem.</summary>
internal static class ProcessMemory
{
    /// <summary>Returns the mappings (by name) in which <paramref name="pattern"/> occurs; empty when nowhere.</summary>
    public static IReadOnlyList<string> Find(int pid, byte[] pattern)
    {
        var hits = new List<string>();
        using var mem = new FileStream($"/proc/{pid}/mem", FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
        var buffer = new byte[(1 << 20) + pattern.Length];
        foreach (var line in File.ReadLines($"/proc/{pid}/maps"))
        {
            var parts = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            if (parts[1][0] != 'r' || line.EndsWith("[vvar]", StringComparison.Ordinal) || line.EndsWith("[vsyscall]", StringComparison.Ordinal))
            {
                continue;
            }

            var range = parts[0].Split('-');
            var start = long.Parse(range[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            var end = long.Parse(range[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            var carried = 0;
            for (var at = start; at < end;)
            {
                var want = (int)Math.Min(1 << 20, end - at);
                int got;
                try
                {
                    mem.Position = at;
                    got = mem.Read(buffer, carried, want);
                }
                catch (IOException)
                {
                    break; // unreadable page (guard region)
                }

                if (got <= 0)
                {
                    break;
                }

                var window = buffer.AsSpan(0, carried + got);
                if (window.IndexOf(pattern) >= 0)
                {
                    hits.Add(parts.Length > 5 ? parts[5].Trim() : "[anonymous]");
                    break;
                }

                // Keep the tail so a pattern split across two reads is still found.
                var keep = Math.Min(pattern.Length - 1, window.Length);
                window[^keep..].CopyTo(buffer);
                carried = keep;
                at += got;
            }
        }

        return hits;
    }
}
