namespace Carapace.Enclave.Wasi;

/// <summary>A guest path resolved inside a directory descriptor (see <see cref="GuestPath"/>).</summary>
/// <param name="Path">The normalised path within the file system ("" is its root).</param>
/// <param name="MustBeDirectory">The guest's path ended in '/', "." or "..".</param>
/// <param name="EndsInDot">The guest's path's last segment was "." or "..".</param>
internal readonly record struct ResolvedPath(string Path, bool MustBeDirectory, bool EndsInDot);
