using Carapace.Enclave.Wasi;

namespace Carapace.Enclave.FileSystem.Memory;

/// <summary>An open file of a <see cref="MemoryFileSystem"/>; every operation goes through the file system (one lock, one quota).</summary>
internal sealed class MemoryFileHandle(MemoryFileSystem owner, MemoryFileNode node, bool writable, int generation) : IFileHandle
{
    private bool _closed;

    internal MemoryFileNode Node => node;

    internal int Generation => generation;

    internal bool Writable => writable;

    internal bool Closed => _closed;

    public long Length => owner.GetLength(this);

    public Errno Read(long offset, Span<byte> destination, out int read) => owner.ReadFile(this, offset, destination, out read);

    public Errno Write(long offset, ReadOnlySpan<byte> source) => owner.WriteFile(this, offset, source);

    public Errno SetLength(long length) => owner.SetFileLength(this, length);

    public void Dispose()
    {
        if (!_closed)
        {
            _closed = true;
            owner.Close(this);
        }
    }
}
