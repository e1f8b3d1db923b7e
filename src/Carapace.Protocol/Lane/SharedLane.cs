using System.IO.MemoryMappedFiles;

namespace Carapace.Protocol.Lane;

/// <summary>
/// The shared-memory lane between a worker and one enclave (the asynchronous-call idea of the SCONE paper): two
/// <see cref="Mailbox"/> slots in a file mapped by both processes, one per direction, so an invocation and its
/// answer cross without a system call while both sides are awake. The pipe stays the control channel: it carries
/// every other frame, frames too large for a slot, and one-byte-body doorbells that wake a reader blocked on it.
/// The lane carries exactly what the pipe would (sealed envelopes and plaintext metadata), never plaintext.
/// </summary>
/// <remarks>
/// The worker creates the file (mode 0600, in <c>/dev/shm</c> when there is one), the enclave maps it by path, and
/// the worker deletes the name once the enclave reported ready, so nothing else can open it later. File layout:
/// host→enclave slot (header page + capacity), then enclave→host slot (same size).
/// </remarks>
public sealed unsafe class SharedLane : IDisposable
{
    /// <summary>Bytes before each slot's frame data (one page: counters and flags on their own cache lines).</summary>
    public const int HeaderBytes = 4096;

    /// <summary>Default slot capacity: 4 MiB per direction (tmpfs only allocates the pages a frame touches).</summary>
    public const int DefaultCapacity = 4 << 20;

    /// <summary>Largest slot capacity accepted from a file.</summary>
    public const int MaxCapacity = 256 << 20;

    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly bool _isHost;
    private byte* _base;

    private SharedLane(string path, MemoryMappedFile file, int capacity, bool isHost)
    {
        Path = path;
        _file = file;
        _isHost = isHost;
        _view = file.CreateViewAccessor(0, 2L * (HeaderBytes + capacity), MemoryMappedFileAccess.ReadWrite);
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref _base);
        _base += _view.PointerOffset;
        ToEnclave = new Mailbox(_base, capacity);
        ToHost = new Mailbox(_base + HeaderBytes + capacity, capacity);
    }

    /// <summary>The file's path (gone once <see cref="Unlink"/> ran; the mapping stays).</summary>
    public string Path { get; }

    /// <summary>Frames from the worker to the enclave.</summary>
    public Mailbox ToEnclave { get; }

    /// <summary>Frames from the enclave to the worker.</summary>
    public Mailbox ToHost { get; }

    /// <summary>What this side reads: <see cref="ToHost"/> for the worker, <see cref="ToEnclave"/> for the enclave.</summary>
    public Mailbox Inbound => _isHost ? ToHost : ToEnclave;

    /// <summary>What this side writes.</summary>
    public Mailbox Outbound => _isHost ? ToEnclave : ToHost;

    /// <summary>Worker: creates a fresh lane file (0600, exclusive) in <paramref name="directory"/> (default: /dev/shm, else the temp folder).</summary>
    /// <exception cref="IOException">The file could not be created or sized.</exception>
    public static SharedLane Create(int capacity = DefaultCapacity, string? directory = null)
    {
        if (capacity is < 4096 or > MaxCapacity)
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), $"the lane capacity must be within 4096..{MaxCapacity} bytes");
        }

        directory ??= DefaultDirectory();
        RemoveOrphans(directory);
        var path = System.IO.Path.Combine(directory, $"carapace-lane-{Environment.ProcessId}-{Guid.NewGuid():N}");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.ReadWrite, Share = FileShare.ReadWrite };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        var stream = new FileStream(path, options);
        try
        {
            stream.SetLength(2L * (HeaderBytes + capacity));
            var file = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: false);
            return new SharedLane(path, file, capacity, isHost: true);
        }
        catch
        {
            stream.Dispose();
            File.Delete(path);
            throw;
        }
    }

    /// <summary>Enclave: maps the lane file the worker created.</summary>
    /// <exception cref="IOException">The file is missing, unreadable or not a lane's size.</exception>
    public static SharedLane Open(string path)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        try
        {
            var length = stream.Length;
            var capacity = length / 2 - HeaderBytes;
            if (length % 2 != 0 || capacity < 4096 || capacity > MaxCapacity)
            {
                throw new IOException($"the lane file is {length} bytes, which is not the size of a lane");
            }

            var file = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: false);
            return new SharedLane(path, file, (int)capacity, isHost: false);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Deletes the file's name; both mappings stay valid.</summary>
    public void Unlink()
    {
        try
        {
            File.Delete(Path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Already gone, or the folder went away: nothing left to hide.
        }
    }

    /// <summary>Unmaps the lane.</summary>
    public void Dispose()
    {
        if (_base != null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _base = null;
        }

        _view.Dispose();
        _file.Dispose();
    }

    /// <summary>
    /// Deletes lane files left by workers that died before their enclave was ready (a name is normally gone within
    /// a second of its creation): those whose creator process no longer exists. Linux only (/proc); best effort.
    /// </summary>
    private static void RemoveOrphans(string directory)
    {
        if (!Directory.Exists("/proc/self"))
        {
            return;
        }

        try
        {
            foreach (var file in Directory.EnumerateFiles(directory, "carapace-lane-*"))
            {
                var parts = System.IO.Path.GetFileName(file).Split('-');
                if (parts.Length == 4 && int.TryParse(parts[2], System.Globalization.CultureInfo.InvariantCulture, out var pid)
                    && pid != Environment.ProcessId && !Directory.Exists($"/proc/{pid}"))
                {
                    File.Delete(file);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Another user's file, or a race with its owner: not ours to clean.
        }
    }

    private static string DefaultDirectory() =>
        Directory.Exists("/dev/shm") ? "/dev/shm" : System.IO.Path.GetTempPath();
}
