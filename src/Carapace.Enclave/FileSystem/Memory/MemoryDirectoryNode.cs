namespace Carapace.Enclave.FileSystem.Memory;

/// <summary>A directory of a <see cref="MemoryFileSystem"/>: its children by name, in ordinal order.</summary>
internal sealed class MemoryDirectoryNode(ulong inode, ulong modified) : MemoryNode(inode, modified)
{
    public SortedDictionary<string, MemoryNode> Children { get; } = new(StringComparer.Ordinal);

    public override NodeKind Kind => NodeKind.Directory;

    /// <summary>Whether <paramref name="node"/> is this directory or lies below it.</summary>
    public bool Contains(MemoryNode node)
    {
        for (MemoryNode? n = node; n is not null; n = n.Parent)
        {
            if (ReferenceEquals(n, this))
            {
                return true;
            }
        }

        return false;
    }
}
