using System.Security.Cryptography;
using System.Text;
using Carapace.Enclave.FileSystem;
using Wasmtime;

namespace Carapace.Enclave.Wasi;

/// <summary>
/// The WASI preview 1 state of one invocation: arguments, environment, the stdin payload, the collected stdout and
/// stderr, the descriptor table over the preopened file systems, and the clocks. Nothing here touches the host's file
/// system, clocks (beyond <see cref="WasiOptions.TimeProvider"/>), sockets or environment.
/// </summary>
/// <remarks>
/// <para>Use one context per store and instance: make it (or an <see cref="IWasiHost"/> that returns it) the store's
/// data, define the imports with <see cref="WasiPreview1.Define"/>, run <c>_start</c>, then read <see cref="ExitCode"/>,
/// the output and the flags, and dispose the context. The guest's <c>memory</c> export is looked up on the first host
/// call and cached.</para>
/// <para>Descriptors: 0 is stdin, a read-only <em>seekable</em> regular file holding the payload (so <c>fstat</c> gives
/// its size and <c>rewind</c> works); 1 and 2 are stdout and stderr, append-only streams of unknown file type without
/// seek rights (so <c>isatty</c> is false for all three); preopens follow from 3 in the order given. New descriptors take
/// the lowest free number.</para>
/// <para>Rights: the rights reported by <c>fd_fdstat_get</c> describe what the descriptor supports, with the access
/// mode taken from the rights the guest asked for in <c>path_open</c> (read: <c>fd_read</c>/<c>fd_readdir</c>; write:
/// <c>fd_write</c>, <c>fd_datasync</c>, <c>fd_allocate</c>, <c>fd_filestat_set_size</c>; neither: read-only), so libc's
/// <c>fcntl(F_GETFL)</c> sees <c>O_RDONLY</c>/<c>O_WRONLY</c>/<c>O_RDWR</c> correctly. Other rights the guest asks
/// for are ignored (toolchains ask for all sorts). The access mode is enforced (<see cref="Errno.BadF"/> for
/// reading a write-only or writing a read-only descriptor). A directory on a read-only file system has no tree-modifying
/// rights, but its inheriting rights do include write access: libc asks <c>path_open</c> for "wanted ∩ inheriting", and
/// only so does <c>open(O_WRONLY)</c> reach the check that refuses it with <see cref="Errno.RoFs"/> (as creating,
/// truncating and every modifying path call are refused) instead of silently opening read-only.
/// <c>fd_fdstat_set_rights</c> can only drop rights; a directory whose inheriting rights lost read or write access
/// cannot open files with it (<see cref="Errno.NotCapable"/>). On a writable tree directories also have the link,
/// symlink and set-times rights (and files <c>fd_filestat_set_times</c>); on a read-only tree those calls are
/// <see cref="Errno.RoFs"/>.</para>
/// <para>Paths: resolved segment by segment inside the directory descriptor they are relative to ('.' and '..'
/// segments, repeated '/', symlinks followed as <see cref="GuestPath"/> describes); absolute paths and '..' above that
/// directory are <see cref="Errno.NotCapable"/>; an empty path is <see cref="Errno.NoEnt"/>; a trailing '/' requires a
/// directory. A directory descriptor keeps the path it was opened with: renaming the directory afterwards leaves it
/// pointing at the old path.</para>
/// <para>Integrity: an <see cref="IntegrityViolationException"/> from a file system makes the call return
/// <see cref="Errno.Io"/> and is recorded in <see cref="IntegrityViolation"/>.</para>
/// <para>Not thread-safe: one invocation runs on one thread.</para>
/// </remarks>
public sealed partial class WasiContext : IDisposable
{
    private readonly FileDescriptor?[] _fds;
    private readonly OutputBuffer _stdout;
    private readonly OutputBuffer _stderr;
    private readonly ReadOnlyMemory<byte> _stdin;
    private readonly byte[] _argBytes;
    private readonly int[] _argOffsets;
    private readonly byte[] _envBytes;
    private readonly int[] _envOffsets;
    private readonly MemoryLength _memoryLength = new();
    private Memory? _memory;
    private Store? _memoryStore;
    private bool _disposed;

    /// <summary>Creates the state for one invocation.</summary>
    /// <exception cref="ArgumentException">An argument or environment entry is malformed, a limit is out of range, or the preopens do not fit the descriptor table.</exception>
    public WasiContext(WasiOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxStdoutBytes);
        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxStderrBytes);
        ArgumentNullException.ThrowIfNull(options.Clock);
        ArgumentNullException.ThrowIfNull(options.TimeProvider);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Clock.ResolutionNanoseconds, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxOpenFiles, 3 + options.Preopens.Count);

        (_argBytes, _argOffsets) = Encode(options.Args.Select(a => ValidateText(a, nameof(options.Args))));
        (_envBytes, _envOffsets) = Encode(options.Environment.Select(kv => ValidateName(kv.Key) + "=" + ValidateText(kv.Value, nameof(options.Environment))));
        _stdin = options.Stdin;
        _stdout = new OutputBuffer(options.MaxStdoutBytes);
        _stderr = new OutputBuffer(options.MaxStderrBytes);

        _fds = new FileDescriptor?[options.MaxOpenFiles];
        _fds[0] = new FileDescriptor { Kind = DescriptorKind.Stdin, RightsBase = WasiRights.Stdin };
        _fds[1] = new FileDescriptor { Kind = DescriptorKind.Stdout, RightsBase = WasiRights.Output };
        _fds[2] = new FileDescriptor { Kind = DescriptorKind.Stderr, RightsBase = WasiRights.Output };
        var devices = new Dictionary<IFileSystem, ulong>(ReferenceEqualityComparer.Instance);
        for (var i = 0; i < options.Preopens.Count; i++)
        {
            var (guestPath, fs) = options.Preopens[i];
            ArgumentNullException.ThrowIfNull(fs);
            if (string.IsNullOrEmpty(guestPath) || guestPath.Contains('\0', StringComparison.Ordinal))
            {
                throw new ArgumentException($"preopen {i}: the guest path must be non-empty and contain no NUL", nameof(options));
            }

            if (!devices.TryGetValue(fs, out var device))
            {
                device = (ulong)devices.Count + 1;
                devices.Add(fs, device);
            }

            var writable = !fs.IsReadOnly;
            _fds[3 + i] = new FileDescriptor
            {
                Kind = DescriptorKind.Directory,
                FileSystem = fs,
                Device = device,
                PreopenName = Encoding.UTF8.GetBytes(guestPath),
                RightsBase = WasiRights.Directory(writable),
                RightsInheriting = WasiRights.Inheriting(writable),
            };
        }

        InitializeClocks(options);
    }

    /// <summary>The code the guest passed to <c>proc_exit</c>; null if it did not call it (wasi-libc's <c>_start</c> calls it only for a non-zero status, so null after a normal return means 0).</summary>
    public int? ExitCode { get; private set; }

    /// <summary>Whether stdout or stderr refused bytes because of its limit (see <see cref="StdoutTruncated"/> and <see cref="StderrTruncated"/> to tell them apart).</summary>
    public bool OutputTruncated => _stdout.Truncated || _stderr.Truncated;

    /// <summary>Whether stdout refused bytes because of <see cref="WasiOptions.MaxStdoutBytes"/>.</summary>
    public bool StdoutTruncated => _stdout.Truncated;

    /// <summary>Whether stderr refused bytes because of <see cref="WasiOptions.MaxStderrBytes"/>.</summary>
    public bool StderrTruncated => _stderr.Truncated;

    /// <summary>The first integrity violation a file system reported (the guest saw <see cref="Errno.Io"/>); null if none.</summary>
    public string? IntegrityViolation { get; private set; }

    /// <summary>Bytes collected from stdout.</summary>
    public int StdoutLength => _stdout.Length;

    /// <summary>Bytes collected from stderr.</summary>
    public int StderrLength => _stderr.Length;

    internal OutputBuffer StdoutBuffer => _stdout;

    internal OutputBuffer StderrBuffer => _stderr;

    /// <summary>The encoded arguments (tests check that disposing zeroes them).</summary>
    internal byte[] ArgumentBuffer => _argBytes;

    /// <summary>The encoded environment (tests check that disposing zeroes them).</summary>
    internal byte[] EnvironmentBuffer => _envBytes;

    /// <summary>Copies stdout into a new array (an ordinary, movable array: prefer <see cref="CopyStdoutTo"/> with a pinned buffer for plaintext that must be zeroed later).</summary>
    public byte[] CopyStdout()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _stdout.Written.ToArray();
    }

    /// <summary>Copies stdout into <paramref name="destination"/> and returns the count (<see cref="StdoutLength"/>).</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <see cref="StdoutLength"/>.</exception>
    public int CopyStdoutTo(Span<byte> destination) => CopyTo(_stdout, destination);

    /// <summary>Copies stderr into a new array (see <see cref="CopyStdout"/>).</summary>
    public byte[] CopyStderr()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _stderr.Written.ToArray();
    }

    /// <summary>Copies stderr into <paramref name="destination"/> and returns the count (<see cref="StderrLength"/>).</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <see cref="StderrLength"/>.</exception>
    public int CopyStderrTo(Span<byte> destination) => CopyTo(_stderr, destination);

    /// <summary>
    /// Zeroes every buffer the context owns (stdout and stderr — earlier, smaller arrays were zeroed when they were
    /// replaced —, the encoded arguments and environment, cached directory listings) and closes every open file. The
    /// stdin payload and the file systems belong to the caller.
    /// </summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _stdout.Dispose();
        _stderr.Dispose();
        CryptographicOperations.ZeroMemory(_argBytes);
        CryptographicOperations.ZeroMemory(_envBytes);
        for (var i = 0; i < _fds.Length; i++)
        {
            var d = _fds[i];
            _fds[i] = null;
            if (d is not null)
            {
                d.ReplaceListing(null);
                try
                {
                    d.Handle?.Dispose();
                }
                catch (IntegrityViolationException)
                {
                    // Closing never yields data; nothing to report any more.
                }
            }
        }

        _memory = null;
        _memoryStore = null;
    }

    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    /// <summary>The guest's memory for this host call (the <c>memory</c> export, cached after the first call).</summary>
    private GuestMemory Guest(Caller caller)
    {
        var memory = _memory;
        if (memory is null || !ReferenceEquals(_memoryStore, caller.Store))
        {
            memory = caller.GetMemory("memory");
            if (memory is null)
            {
                return default; // no memory: every pointer faults
            }

            _memory = memory;
            _memoryStore = caller.Store;
            _memoryLength.Bytes = memory.GetLength();
        }

        return new GuestMemory(memory, _memoryLength);
    }

    private FileDescriptor? Fd(int fd) => (uint)fd < (uint)_fds.Length ? _fds[fd] : null;

    private int FreeSlot() => Array.IndexOf(_fds, null);

    private Errno Violation(IntegrityViolationException e)
    {
        IntegrityViolation ??= e.Message;
        return Errno.Io;
    }

    private int CopyTo(OutputBuffer buffer, Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (destination.Length < buffer.Length)
        {
            throw new ArgumentException($"the destination holds {destination.Length} bytes, the output is {buffer.Length}", nameof(destination));
        }

        buffer.Written.CopyTo(destination);
        return buffer.Length;
    }

    private static string ValidateText(string value, string what)
    {
        ArgumentNullException.ThrowIfNull(value, what);
        return value.Contains('\0', StringComparison.Ordinal) ? throw new ArgumentException($"{what}: an entry contains a NUL character", what) : value;
    }

    private static string ValidateName(string name)
    {
        ValidateText(name, nameof(WasiOptions.Environment));
        return name.Length == 0 || name.Contains('=', StringComparison.Ordinal)
            ? throw new ArgumentException("environment: a name is empty or contains '='", nameof(WasiOptions.Environment))
            : name;
    }

    /// <summary>Encodes strings as consecutive NUL-terminated UTF-8 (as <c>args_get</c>/<c>environ_get</c> hand them out) in a pinned array.</summary>
    private static (byte[] Bytes, int[] Offsets) Encode(IEnumerable<string> values)
    {
        var list = values.ToList();
        var offsets = new int[list.Count];
        var total = 0L;
        for (var i = 0; i < list.Count; i++)
        {
            offsets[i] = checked((int)total);
            total += Encoding.UTF8.GetByteCount(list[i]) + 1;
        }

        var bytes = GC.AllocateArray<byte>(checked((int)total), pinned: true);
        for (var i = 0; i < list.Count; i++)
        {
            Encoding.UTF8.GetBytes(list[i], bytes.AsSpan(offsets[i]));
        }

        return (bytes, offsets);
    }
}
