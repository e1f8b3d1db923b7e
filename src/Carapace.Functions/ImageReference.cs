namespace Carapace.Functions;

/// <summary>The shielded file-system image a function is measured with: its id and Merkle root.</summary>
/// <param name="Id">The image's 16-byte random id.</param>
/// <param name="Root">The image's 32-byte Merkle root; a different (e.g. older) image has another root.</param>
public sealed record ImageReference(ReadOnlyMemory<byte> Id, ReadOnlyMemory<byte> Root);
