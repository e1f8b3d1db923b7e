using System.Text.Json;

namespace Carapace.Functions;

/// <summary>
/// Where a deployed action's image is mounted: the <c>carapace.mount</c> annotation, a JSON string holding an
/// absolute guest path (<see cref="ImageReference.MountPathProblem"/>); absent means <see cref="ImageReference.DefaultMountPath"/>.
/// Like the environment it is part of the measurement, so the platform cannot move the image without the KMS
/// refusing the enclave its keys. The gateway refuses an action whose annotation is invalid or that has no image.
/// </summary>
public static class ActionMount
{
    /// <summary>The annotation's key.</summary>
    public const string Annotation = "carapace.mount";

    /// <summary>The mount path an annotation value gives, or null with the problem added to <paramref name="problems"/>.</summary>
    public static string? Parse(JsonElement? value, List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        if (value is not { } element || element.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
        {
            return ImageReference.DefaultMountPath;
        }

        if (element.ValueKind != JsonValueKind.String)
        {
            problems.Add($"'{Annotation}' must be a string: the absolute guest path the image is mounted at, e.g. \"/\" or \"/srv\".");
            return null;
        }

        var path = element.GetString()!;
        if (ImageReference.MountPathProblem(path) is { } problem)
        {
            problems.Add($"'{Annotation}': {problem}.");
            return null;
        }

        return path;
    }
}
