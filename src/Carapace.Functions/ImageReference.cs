using System.Text;

namespace Carapace.Functions;

/// <summary>The shielded file-system image a function is measured with: its id, Merkle root and where the guest sees it.</summary>
/// <param name="Id">The image's 16-byte random id.</param>
/// <param name="Root">The image's 32-byte Merkle root; a different (e.g. older) image has another root.</param>
/// <param name="MountPath">The guest path the image is mounted at (<see cref="DefaultMountPath"/> unless given): an
/// absolute, normalised path such as <c>/</c>, <c>/data</c> or <c>/srv/site</c>. Part of the measurement.</param>
public sealed record ImageReference(ReadOnlyMemory<byte> Id, ReadOnlyMemory<byte> Root, string MountPath = ImageReference.DefaultMountPath)
{
    /// <summary>Where an image is mounted unless the deployer says otherwise.</summary>
    public const string DefaultMountPath = "/data";

    /// <summary>Longest mount path, in UTF-8 bytes.</summary>
    public const int MaxMountPathBytes = 1024;

    /// <summary>
    /// Why <paramref name="path"/> cannot be a mount path (it must be absolute and normalised: '/' or '/'-separated
    /// names, none empty, '.' or '..', no NUL, at most <see cref="MaxMountPathBytes"/> bytes); null when it can.
    /// </summary>
    public static string? MountPathProblem(string? path)
    {
        if (string.IsNullOrEmpty(path) || path[0] != '/')
        {
            return "a mount path must be absolute (start with '/')";
        }

        if (Encoding.UTF8.GetByteCount(path) > MaxMountPathBytes || FunctionManifest.TextProblem(path) is not null)
        {
            return $"a mount path must be valid text without NUL, at most {MaxMountPathBytes} bytes";
        }

        if (path == "/")
        {
            return null;
        }

        return path[1..].Split('/').Any(s => s is "" or "." or "..")
            ? $"the mount path '{path}' is not normalised (no empty, '.' or '..' segments, no trailing '/')"
            : null;
    }
}
