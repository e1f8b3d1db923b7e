namespace Carapace.Functions.Images;

/// <summary>What <see cref="ImagePacker.Pack"/> produced.</summary>
/// <param name="ImageId">The image's 16-byte id (as given to the packer).</param>
/// <param name="Root">The 32-byte image root: put it in the function's manifest, so that it is part of the measurement the enclave is given; a mount checks the image against it.</param>
/// <param name="FileCount">Regular files in the image.</param>
/// <param name="DirectoryCount">Directories in the image, not counting the root.</param>
/// <param name="DataBytes">Total length of the files.</param>
/// <param name="ImageBytes">Length of the image written.</param>
public sealed record ImageDescription(
    ReadOnlyMemory<byte> ImageId,
    ReadOnlyMemory<byte> Root,
    int FileCount,
    int DirectoryCount,
    long DataBytes,
    long ImageBytes)
{
    /// <summary>The root as 64 lower-case hex digits.</summary>
    public string RootHex => Convert.ToHexStringLower(Root.Span);
}
