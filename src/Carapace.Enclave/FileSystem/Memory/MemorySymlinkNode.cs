namespace Carapace.Enclave.FileSystem.Memory;

/// <summary>A symbolic link of a <see cref="MemoryFileSystem"/>: only its target text (the WASI layer resolves it).</summary>
internal sealed class MemorySymlinkNode(ulong inode, ulong modified, string target) : MemoryNode(inode, modified)
{
    public string Target { get; } = target;

    public override NodeKind Kind => NodeKind.Symlink;
}
