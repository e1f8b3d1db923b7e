namespace Carapace.Enclave.FileSystem;

/// <summary>
/// Shielded data did not verify: a modified, swapped or rolled-back block of the file-system image, or an image
/// whose Merkle root is not the one the function was measured with. The message names the place (file id, block)
/// and never contains plaintext.
/// </summary>
public sealed class IntegrityViolationException(string message) : Exception(message);
