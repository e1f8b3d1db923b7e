namespace Carapace.Functions.Images;

/// <summary>One node of a source tree being packed, in the order the image lists it (node 0 is the root).</summary>
/// <param name="Name">The entry's name ("" for the root).</param>
/// <param name="NameUtf8">The name's UTF-8 bytes, as stored.</param>
/// <param name="Parent">Index of the parent directory (0 for the root itself).</param>
/// <param name="IsDirectory">Directory or regular file.</param>
/// <param name="Size">File length when the tree was walked (0 for directories).</param>
/// <param name="FullPath">Where it is on disk.</param>
/// <param name="RelativePath">Its path inside the tree, '/'-separated, for messages.</param>
/// <param name="Depth">0 for the root, 1 for its children, and so on.</param>
internal sealed record SourceEntry(
    string Name,
    byte[] NameUtf8,
    int Parent,
    bool IsDirectory,
    long Size,
    string FullPath,
    string RelativePath,
    int Depth);
