using Carapace.Cli.Infrastructure;
using Carapace.Functions;

namespace Carapace.Cli.Functions;

/// <summary>An <c>--image IMG[:GUESTPATH]</c> value: the image file and where the guest sees it.</summary>
internal sealed record ImageMount(string Path, string MountPath)
{
    /// <summary>
    /// Splits <paramref name="value"/> at its last ':' when what follows is an absolute path (so a file name with a
    /// ':' in it still works without a guest path); null for null.
    /// </summary>
    /// <exception cref="CliFailure">The guest path is not an absolute, normalised path (a usage error).</exception>
    public static ImageMount? Parse(string? value)
    {
        if (value is null)
        {
            return null;
        }

        var colon = value.LastIndexOf(':');
        if (colon <= 0 || colon + 1 >= value.Length || value[colon + 1] != '/')
        {
            return new ImageMount(value, ImageReference.DefaultMountPath);
        }

        var mount = value[(colon + 1)..];
        if (ImageReference.MountPathProblem(mount) is { } problem)
        {
            throw new CliFailure($"--image {value}: {problem}", ExitCodes.Usage);
        }

        return new ImageMount(value[..colon], mount);
    }
}
