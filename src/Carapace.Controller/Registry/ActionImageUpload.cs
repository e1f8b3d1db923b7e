namespace Carapace.Controller.Registry;

/// <summary>An image as a client submits it with an action: the image file and the id and root of its public header.</summary>
/// <param name="Bytes">The whole image file (encrypted contents, public header).</param>
/// <param name="Id">The header's image id, as 32 lower-case hex digits.</param>
/// <param name="Root">The header's Merkle root, as 64 lower-case hex digits.</param>
public sealed record ActionImageUpload(ReadOnlyMemory<byte> Bytes, string Id, string Root);
