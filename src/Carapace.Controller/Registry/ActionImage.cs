namespace Carapace.Controller.Registry;

/// <summary>
/// The stored file-system image of an action, by its public metadata: a blob addressed by SHA-256 like modules, plus
/// the id and Merkle root from the image's public header (parsed by the trusted gateway). The image's contents are
/// encrypted; the registry never holds its key.
/// </summary>
/// <param name="Sha256">Lower-case hex SHA-256 of the image file (the content address of its blob).</param>
/// <param name="Size">The image's size in bytes.</param>
/// <param name="Id">The image's 16-byte id, as 32 lower-case hex digits.</param>
/// <param name="Root">The image's 32-byte Merkle root, as 64 lower-case hex digits (part of the function's measurement).</param>
public sealed record ActionImage(string Sha256, long Size, string Id, string Root);
