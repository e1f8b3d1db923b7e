using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Carapace.Tests;

/// <summary>
/// A small file system of a test's own: a tmpfs of a few MiB mounted on a fresh temporary directory, which the test can
/// fill to the last byte (<see cref="Fill"/>) and free again (<see cref="Free"/>), to see how the platform behaves on a
/// full disk. Mounting needs root (the tests run as root here and in CI); where it is impossible, tests using
/// <see cref="SmallDiskFactAttribute"/> are skipped, and their skip reason says why. Unmounted on dispose.
/// </summary>
internal sealed class SmallDisk : IDisposable
{
    private static readonly Lazy<string?> s_whyNot = new(Probe);
    private readonly string _filler;

    private SmallDisk(string path)
    {
        Path = path;
        _filler = System.IO.Path.Combine(path, "filler");
    }

    /// <summary>The mount point.</summary>
    public string Path { get; }

    /// <summary>Why no small disk can be mounted here, or null when it can.</summary>
    public static string? WhyNot => s_whyNot.Value;

    /// <summary>Mounts a tmpfs of <paramref name="mebibytes"/> MiB on a new temporary directory.</summary>
    public static SmallDisk Mount(int mebibytes)
    {
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "carapace-small-disk-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        var (code, output) = Run("mount", "-t", "tmpfs", "-o", $"size={mebibytes}m,mode=0700", "tmpfs", path);
        if (code != 0)
        {
            Directory.Delete(path);
            throw new InvalidOperationException($"mount -t tmpfs failed ({code}): {output}");
        }

        return new SmallDisk(path);
    }

    /// <summary>Fills the file system with one file until a write fails for lack of space; returns the bytes written.</summary>
    public long Fill()
    {
        long written = 0;
        using var stream = new FileStream(_filler, FileMode.Append, FileAccess.Write, FileShare.None, bufferSize: 0);
        foreach (var size in new[] { 1 << 20, 64 << 10, 4 << 10, 512 })
        {
            var chunk = new byte[size];
            for (var i = 0; i < 100_000; i++)
            {
                try
                {
                    stream.Write(chunk);
                    written += size;
                }
                catch (IOException)
                {
                    break;
                }
            }
        }

        return written;
    }

    /// <summary>Bytes still free on the file system.</summary>
    public long Available => new DriveInfo(Path).AvailableFreeSpace;

    /// <summary>Deletes the filler: the space is back.</summary>
    public void Free() => File.Delete(_filler);

    public void Dispose()
    {
        // A process that still holds a file there (a killed platform's child) must not keep the mount: detach it lazily.
        var (code, _) = Run("umount", Path);
        if (code != 0)
        {
            Run("umount", "-l", Path);
        }

        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: an empty temporary directory.
        }
    }

    private static string? Probe()
    {
        if (geteuid() != 0)
        {
            return "mounting a tmpfs needs root, and these tests do not run as root";
        }

        try
        {
            using var disk = Mount(1);
            return null;
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or IOException)
        {
            return "mounting a tmpfs is not permitted here: " + e.Message;
        }
    }

    private static (int Code, string Output) Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(30_000))
        {
            process.Kill();
            return (-1, $"{program} did not finish within 30 s");
        }

        return (process.ExitCode, output.Result.Trim());
    }

    [DllImport("libc", EntryPoint = "geteuid")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern uint geteuid();
}

/// <summary>A fact that needs a <see cref="SmallDisk"/>: skipped, with the reason in its skip message, where none can be mounted.</summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class SmallDiskFactAttribute : FactAttribute
{
    public SmallDiskFactAttribute()
    {
        if (SmallDisk.WhyNot is { } why)
        {
            Skip = "SKIPPED (no small disk of its own): " + why;
        }
    }
}
