using System.Text;
using Carapace.Enclave.FileSystem;
using Carapace.Enclave.Wasi;

namespace Carapace.Enclave.Tests.Wasi.Support;

/// <summary>
/// A tiny read-only <see cref="IFileSystem"/> for tests, standing in for the shielded image: files and directories given
/// up front; reading a file listed in <c>tampered</c> throws <see cref="IntegrityViolationException"/>, as a block that
/// fails verification does.
/// </summary>
internal sealed class ReadOnlyTestFileSystem : IFileSystem
{
    private readonly SortedDictionary<string, byte[]> _files = new(StringComparer.Ordinal);
    private readonly SortedSet<string> _directories = new(StringComparer.Ordinal) { "" };
    private readonly HashSet<string> _tampered = new(StringComparer.Ordinal);

    public ReadOnlyTestFileSystem(IEnumerable<(string Path, string Content)> files, IEnumerable<string>? directories = null, IEnumerable<string>? tampered = null)
    {
        foreach (var (path, content) in files)
        {
            _files[path] = Encoding.UTF8.GetBytes(content);
        }

        foreach (var d in directories ?? [])
        {
            _directories.Add(d);
        }

        foreach (var t in tampered ?? [])
        {
            _tampered.Add(t);
        }
    }

    public bool IsReadOnly => true;

    public Errno Stat(string path, out NodeInfo info)
    {
        if (_directories.Contains(path))
        {
            info = new NodeInfo(NodeKind.Directory, 0, Inode(path), 0);
            return Errno.Success;
        }

        if (_files.TryGetValue(path, out var data))
        {
            info = new NodeInfo(NodeKind.File, data.Length, Inode(path), 0);
            return Errno.Success;
        }

        info = default;
        return ParentIsFile(path) ? Errno.NotDir : Errno.NoEnt;
    }

    public Errno List(string path, out IReadOnlyList<DirectoryEntry> entries)
    {
        entries = [];
        if (!_directories.Contains(path))
        {
            return _files.ContainsKey(path) ? Errno.NotDir : Errno.NoEnt;
        }

        var prefix = path.Length == 0 ? "" : path + "/";
        bool IsChild(string p) => p.Length > prefix.Length && p.StartsWith(prefix, StringComparison.Ordinal) && !p[prefix.Length..].Contains('/', StringComparison.Ordinal);
        entries =
        [
            .. _directories.Where(IsChild).Select(d => new DirectoryEntry(d[prefix.Length..], NodeKind.Directory, Inode(d))),
            .. _files.Keys.Where(IsChild).Select(f => new DirectoryEntry(f[prefix.Length..], NodeKind.File, Inode(f))),
        ];
        entries = [.. entries.OrderBy(e => e.Name, StringComparer.Ordinal)];
        return Errno.Success;
    }

    public Errno Open(string path, OpenFlags flags, out IFileHandle? handle)
    {
        handle = null;
        if (_directories.Contains(path))
        {
            return Errno.IsDir;
        }

        if (!_files.TryGetValue(path, out var data))
        {
            return (flags & OpenFlags.Create) != 0 ? Errno.RoFs : Errno.NoEnt;
        }

        if ((flags & (OpenFlags.Write | OpenFlags.Truncate)) != 0)
        {
            return Errno.RoFs;
        }

        handle = new Handle(data, _tampered.Contains(path) ? path : null);
        return Errno.Success;
    }

    public Errno CreateDirectory(string path) => Errno.RoFs;

    public Errno Unlink(string path) => Errno.RoFs;

    public Errno RemoveDirectory(string path) => Errno.RoFs;

    public Errno Rename(string from, string to) => Errno.RoFs;

    public Errno Link(string from, string to) => Errno.RoFs;

    public Errno Symlink(string target, string path) => Errno.RoFs;

    public Errno ReadLink(string path, out string target)
    {
        target = "";
        var e = Stat(path, out _);
        return e == Errno.Success ? Errno.Inval : e;
    }

    public Errno SetTimes(string path, ulong? accessedNanoseconds, ulong? modifiedNanoseconds) => Errno.RoFs;

    private static ulong Inode(string path) => (ulong)(uint)StringComparer.Ordinal.GetHashCode(path) + 2;

    private bool ParentIsFile(string path)
    {
        for (var slash = path.IndexOf('/', StringComparison.Ordinal); slash > 0; slash = path.IndexOf('/', slash + 1))
        {
            if (_files.ContainsKey(path[..slash]))
            {
                return true;
            }
        }

        return false;
    }

    private sealed class Handle(byte[] data, string? tampered) : IFileHandle
    {
        public long Length => data.Length;

        public Errno Read(long offset, Span<byte> destination, out int read)
        {
            if (tampered is not null)
            {
                throw new IntegrityViolationException($"file {tampered}: block 0 failed verification");
            }

            read = offset >= data.Length ? 0 : (int)Math.Min(destination.Length, data.Length - offset);
            data.AsSpan((int)Math.Min(offset, data.Length), read).CopyTo(destination);
            return Errno.Success;
        }

        public Errno Write(long offset, ReadOnlySpan<byte> source) => Errno.RoFs;

        public Errno SetLength(long length) => Errno.RoFs;

        public void Dispose()
        {
        }
    }
}
