using System.Security.Cryptography;
using Carapace.Enclave.Wasi;

namespace Carapace.Enclave.FileSystem.Memory;

/// <summary>
/// The writable in-enclave scratch tree a function sees as <c>/tmp</c>: directories and regular files kept in managed
/// memory, never on the host. File bytes live on the pinned object heap (the garbage collector never moves them, so no
/// stale copy is left behind) and are zeroed whenever they are dropped: when a file grows into a new buffer (the old
/// one), shrinks (the cut-off tail), is removed or replaced (once no handle has it open), on <see cref="Wipe"/> and
/// on <see cref="Dispose"/>.
/// </summary>
/// <remarks>
/// <para>Limits: <see cref="MaxTotalBytes"/> bounds the sum of all file lengths (including removed files still held
/// open), together with every other tree sharing the same <see cref="StorageQuota"/>; a write, truncate or extend
/// past it fails with <see cref="Errno.NoSpc"/> and changes nothing.
/// <see cref="MaxNodes"/> bounds the number of files and directories (the root excluded); creating one more also fails
/// with <see cref="Errno.NoSpc"/> (as running out of inodes does on POSIX).</para>
/// <para>Semantics follow POSIX: a removed file stays readable and writable through handles opened before; renaming a
/// file over a file replaces it, a directory over an empty directory replaces it, a directory over a non-empty one fails
/// with <see cref="Errno.NotEmpty"/>, a file over a directory with <see cref="Errno.IsDir"/>, a directory over a file
/// with <see cref="Errno.NotDir"/>, and a directory into itself or below itself with <see cref="Errno.Inval"/>.
/// The root cannot be removed or renamed (<see cref="Errno.Busy"/>). Hard links name one file from several entries
/// (its bytes go when the last entry and the last handle do); symlinks only hold their target text.</para>
/// <para>All members are thread-safe (one lock); one invocation normally uses an instance from one thread.</para>
/// </remarks>
public sealed partial class MemoryFileSystem : IFileSystem, IDisposable
{
    /// <summary>Default for the node limit.</summary>
    public const int DefaultMaxNodes = 4096;

    private const ulong RootInode = 1;

    private readonly Lock _gate = new();
    private readonly Func<ulong>? _clock;
    private readonly StorageQuota _quota;
    private readonly HashSet<MemoryFileNode> _files = [];
    private MemoryDirectoryNode _root;
    private ulong _nextInode = RootInode + 1;
    private long _usedBytes;
    private int _nodeCount;
    private int _generation;
    private bool _disposed;

    /// <summary>Creates an empty tree.</summary>
    /// <param name="maxTotalBytes">Most bytes of file content the tree may hold at once (0 allows only empty files).</param>
    /// <param name="maxNodes">Most files and directories (besides the root) the tree may hold at once.</param>
    /// <param name="clock">Source of modification times, nanoseconds since the Unix epoch (pass the guest's view of
    /// the realtime clock, so that file times reveal nothing the guest could not read anyway); null records 0.</param>
    public MemoryFileSystem(long maxTotalBytes, int maxNodes = DefaultMaxNodes, Func<ulong>? clock = null)
        : this(new StorageQuota(maxTotalBytes), maxNodes, clock)
    {
    }

    /// <summary>Creates an empty tree whose file bytes count against <paramref name="quota"/> (shared with other trees).</summary>
    /// <param name="quota">The byte budget.</param>
    /// <param name="maxNodes">Most files, directories and symlinks (besides the root) the tree may hold at once.</param>
    /// <param name="clock">Source of times (see the other constructor).</param>
    public MemoryFileSystem(StorageQuota quota, int maxNodes = DefaultMaxNodes, Func<ulong>? clock = null)
    {
        ArgumentNullException.ThrowIfNull(quota);
        ArgumentOutOfRangeException.ThrowIfNegative(maxNodes);
        _quota = quota;
        MaxNodes = maxNodes;
        _clock = clock;
        _root = new MemoryDirectoryNode(RootInode, Now());
    }

    /// <summary>Most bytes of file content the tree may hold (the limit of its quota).</summary>
    public long MaxTotalBytes => _quota.MaxBytes;

    /// <summary>Most files and directories (besides the root) the tree may hold.</summary>
    public int MaxNodes { get; }

    /// <summary>Bytes of file content held now (sum of file lengths, removed-but-open files included).</summary>
    public long UsedBytes
    {
        get
        {
            lock (_gate)
            {
                return _usedBytes;
            }
        }
    }

    /// <summary>Files and directories in the tree now (the root excluded).</summary>
    public int NodeCount
    {
        get
        {
            lock (_gate)
            {
                return _nodeCount;
            }
        }
    }

    /// <inheritdoc/>
    public bool IsReadOnly => false;

    /// <summary>Called with each file buffer after it was zeroed and dropped (tests check that it really is zero).</summary>
    internal Action<byte[]>? BufferRetired { get; set; }

    /// <inheritdoc/>
    public Errno Stat(string path, out NodeInfo info)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            var e = Lookup(path, out var node);
            if (e != Errno.Success)
            {
                info = default;
                return e;
            }

            info = Describe(node!);
            return Errno.Success;
        }
    }

    /// <inheritdoc/>
    public Errno List(string path, out IReadOnlyList<DirectoryEntry> entries)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            entries = [];
            var e = Lookup(path, out var node);
            if (e != Errno.Success)
            {
                return e;
            }

            if (node is not MemoryDirectoryNode dir)
            {
                return Errno.NotDir;
            }

            var list = new DirectoryEntry[dir.Children.Count];
            var i = 0;
            foreach (var (name, child) in dir.Children)
            {
                list[i++] = new DirectoryEntry(name, child.Kind, child.Inode);
            }

            entries = list;
            return Errno.Success;
        }
    }

    /// <inheritdoc/>
    public Errno Open(string path, OpenFlags flags, out IFileHandle? handle)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            handle = null;
            if (path.Length == 0)
            {
                return Errno.IsDir;
            }

            var e = LookupParent(path, out var dir, out var name);
            if (e != Errno.Success)
            {
                return e;
            }

            MemoryFileNode file;
            if (dir!.Children.TryGetValue(name, out var existing))
            {
                if ((flags & (OpenFlags.Create | OpenFlags.Exclusive)) == (OpenFlags.Create | OpenFlags.Exclusive) && existing is not MemoryDirectoryNode)
                {
                    return Errno.Exist;
                }

                if (existing is not MemoryFileNode f)
                {
                    return existing is MemorySymlinkNode ? Errno.Loop : Errno.IsDir;
                }

                file = f;
                if ((flags & OpenFlags.Truncate) != 0 && file.Length != 0)
                {
                    Resize(file, 0);
                    file.ModifiedNanoseconds = Now();
                }
            }
            else
            {
                if ((flags & OpenFlags.Create) == 0)
                {
                    return Errno.NoEnt;
                }

                if (_nodeCount >= MaxNodes)
                {
                    return Errno.NoSpc;
                }

                file = new MemoryFileNode(_nextInode++, Now()) { Links = 1 };
                Attach(dir, name, file);
                _files.Add(file);
            }

            file.OpenHandles++;
            handle = new MemoryFileHandle(this, file, (flags & OpenFlags.Write) != 0, _generation);
            return Errno.Success;
        }
    }

    /// <inheritdoc/>
    public Errno CreateDirectory(string path)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            if (path.Length == 0)
            {
                return Errno.Exist;
            }

            var e = LookupParent(path, out var dir, out var name);
            if (e != Errno.Success)
            {
                return e;
            }

            if (dir!.Children.ContainsKey(name))
            {
                return Errno.Exist;
            }

            if (_nodeCount >= MaxNodes)
            {
                return Errno.NoSpc;
            }

            Attach(dir, name, new MemoryDirectoryNode(_nextInode++, Now()));
            return Errno.Success;
        }
    }

    /// <summary>Zeroes every byte of every file (also files removed but still open) and empties the tree; handles opened before fail with <see cref="Errno.BadF"/> afterwards.</summary>
    public void Wipe()
    {
        lock (_gate)
        {
            foreach (var file in _files)
            {
                Retire(file.Data);
                file.Data = [];
                file.Length = 0;
                file.Links = 0;
            }

            _files.Clear();
            _root = new MemoryDirectoryNode(RootInode, Now());
            _quota.Release(_usedBytes);
            _usedBytes = 0;
            _nodeCount = 0;
            _nextInode = RootInode + 1;
            _generation++;
        }
    }

    /// <summary>Wipes the tree (see <see cref="Wipe"/>); the instance cannot be used afterwards.</summary>
    public void Dispose()
    {
        Wipe();
        lock (_gate)
        {
            _disposed = true;
        }
    }

    /// <summary>The buffers of all files that hold bytes now (for tests).</summary>
    internal IReadOnlyList<byte[]> FileBuffers()
    {
        lock (_gate)
        {
            return [.. _files.Select(f => f.Data)];
        }
    }

    private static NodeInfo Describe(MemoryNode node) =>
        new(node.Kind, node switch { MemoryFileNode f => f.Length, MemorySymlinkNode l => System.Text.Encoding.UTF8.GetByteCount(l.Target), _ => 0 }, node.Inode, node.ModifiedNanoseconds)
        {
            AccessedNanoseconds = node.AccessedNanoseconds,
            LinkCount = node is MemoryFileNode { Links: > 1 } linked ? (ulong)linked.Links : 1,
        };

    private bool IsStale(MemoryFileHandle handle) => handle.Closed || handle.Generation != _generation;

    private ulong Now() => _clock?.Invoke() ?? 0;

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    private void Attach(MemoryDirectoryNode dir, string name, MemoryNode node)
    {
        dir.Children.Add(name, node);
        node.Parent = dir;
        dir.ModifiedNanoseconds = Now();
        _nodeCount++;
    }

    /// <summary>Removes a directory entry; a file's bytes go (zeroed) unless a handle still has it open.</summary>
    private void Detach(MemoryDirectoryNode dir, string name)
    {
        var node = dir.Children[name];
        dir.Children.Remove(name);
        node.Parent = null;
        dir.ModifiedNanoseconds = Now();
        _nodeCount--;
        if (node is MemoryFileNode file)
        {
            file.Links--;
            ReleaseIfUnused(file);
        }
    }

    private Errno Lookup(string path, out MemoryNode? node)
    {
        node = _root;
        if (path.Length == 0)
        {
            return Errno.Success;
        }

        var e = LookupParent(path, out var dir, out var name);
        if (e != Errno.Success)
        {
            node = null;
            return e;
        }

        return dir!.Children.TryGetValue(name, out node) ? Errno.Success : Errno.NoEnt;
    }

    /// <summary>Finds the directory that holds the last segment of a non-empty path.</summary>
    private Errno LookupParent(string path, out MemoryDirectoryNode? parent, out string name)
    {
        parent = null;
        name = "";
        var dir = _root;
        var start = 0;
        while (true)
        {
            var slash = path.IndexOf('/', start);
            var segment = slash < 0 ? path[start..] : path[start..slash];
            if (segment.Length == 0 || segment is "." or "..")
            {
                return Errno.Inval; // not normalised: the WASI layer never passes such paths
            }

            if (slash < 0)
            {
                parent = dir;
                name = segment;
                return Errno.Success;
            }

            if (!dir.Children.TryGetValue(segment, out var next))
            {
                return Errno.NoEnt;
            }

            if (next is not MemoryDirectoryNode nextDir)
            {
                return Errno.NotDir;
            }

            dir = nextDir;
            start = slash + 1;
        }
    }
}
