using System.Globalization;
using System.Text;
using Carapace.Functions;

namespace Carapace.Enclave.Host;

/// <summary>
/// Remembers the SHA-256 of the enclave's runtime files per file version and per boot, so that a stem cell does not
/// hash its 38 MB executable and Wasmtime library again at every start (about 25 ms of CPU here, most of a native
/// cell's start). A file version is its path, length and last-write time (to 100 ns); the kernel's boot id scopes
/// the cache to one boot, as Linux IMA measures a file once until it changes. Any difference — another build, a copy,
/// a reboot, an unreadable or malformed cache — means hashing again and rewriting the cache.
/// </summary>
/// <remarks>
/// The cache is no weaker than hashing at start. The runtime identity is what the enclave program states about itself;
/// whoever can write the cache beside the platform key can also replace the program with one that states anything.
/// What protects a function against a replaced runtime is the TEE's own measurement of what it loaded (simulation has
/// none, and says so). The cache only has to be right for the files it describes, which the version key makes it.
/// </remarks>
internal static class RuntimeHashCache
{
    private const string Header = "carapace runtime hashes v1";
    private const string BootIdPath = "/proc/sys/kernel/random/boot_id";

    /// <summary>The SHA-256 of each of <paramref name="paths"/>, from <paramref name="cachePath"/> when it describes these versions.</summary>
    /// <exception cref="FileNotFoundException">A runtime file is missing.</exception>
    public static byte[][] HashFiles(IReadOnlyList<string> paths, string cachePath) => HashFiles(EnclaveRuntime.Wasi, paths, cachePath);

    /// <summary>The SHA-256 of each of <paramref name="paths"/> (the files of <paramref name="runtime"/>), from <paramref name="cachePath"/> when it describes these versions.</summary>
    /// <exception cref="FileNotFoundException">A runtime file is missing.</exception>
    public static byte[][] HashFiles(EnclaveRuntime runtime, IReadOnlyList<string> paths, string cachePath)
    {
        var boot = BootId();
        var versions = paths.Select(Version).ToArray();
        if (boot is not null && TryRead(cachePath, boot, versions) is { } cached)
        {
            return cached;
        }

        var hashes = RuntimeIdentity.HashFiles(runtime, paths);
        if (boot is not null)
        {
            TryWrite(cachePath, boot, versions, hashes);
        }

        return hashes;
    }

    /// <summary>The version key of one file: length, last-write ticks and full path (missing files are left to the hashing to report).</summary>
    private static string Version(string path)
    {
        var info = new FileInfo(path);
        return info.Exists
            ? string.Create(CultureInfo.InvariantCulture, $"{info.Length} {info.LastWriteTimeUtc.Ticks} {info.FullName}")
            : "missing " + path;
    }

    private static string? BootId()
    {
        try
        {
            var id = File.ReadAllText(BootIdPath).Trim();
            return id.Length is > 0 and <= 64 && !id.Contains(' ', StringComparison.Ordinal) ? id : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static byte[][]? TryRead(string cachePath, string boot, string[] versions)
    {
        string[] lines;
        try
        {
            var file = new FileInfo(cachePath);
            if (!file.Exists || file.Length > 64 * 1024)
            {
                return null;
            }

            lines = File.ReadAllLines(cachePath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        if (lines.Length != versions.Length + 2 || lines[0] != Header || lines[1] != "boot " + boot)
        {
            return null;
        }

        var hashes = new byte[versions.Length][];
        for (var i = 0; i < versions.Length; i++)
        {
            // "<sha-256 hex> <version>": the version must be exactly the file's now.
            var line = lines[i + 2];
            if (line.Length != 64 + 1 + versions[i].Length || line[64] != ' ' || !line.AsSpan(65).SequenceEqual(versions[i]))
            {
                return null;
            }

            try
            {
                hashes[i] = Convert.FromHexString(line.AsSpan(0, 64));
            }
            catch (FormatException)
            {
                return null;
            }
        }

        return hashes;
    }

    private static void TryWrite(string cachePath, string boot, string[] versions, byte[][] hashes)
    {
        var text = new StringBuilder().Append(Header).Append('\n').Append("boot ").Append(boot).Append('\n');
        for (var i = 0; i < versions.Length; i++)
        {
            text.Append(Convert.ToHexStringLower(hashes[i])).Append(' ').Append(versions[i]).Append('\n');
        }

        // Many cells may start at once: each writes its own temporary file and renames it over the cache (atomic).
        var temporary = $"{cachePath}.{Environment.ProcessId}.tmp";
        try
        {
            File.WriteAllText(temporary, text.ToString());
            File.Move(temporary, cachePath, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A cache that cannot be written only means the next cell hashes too.
            try
            {
                File.Delete(temporary);
            }
            catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException)
            {
                // Nothing more to do.
            }
        }
    }
}
