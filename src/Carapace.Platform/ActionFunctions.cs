using System.Text.Json;
using Carapace.Controller;
using Carapace.Controller.Registry;
using Carapace.Enclave.Functions;

namespace Carapace.Platform;

/// <summary>How a deployed action becomes an enclave function: its manifest, by the rule clients measure with.</summary>
public static class ActionFunctions
{
    /// <summary>
    /// The manifest of <paramref name="action"/> (<see cref="ActionManifest.For"/> over its name, limits,
    /// <c>carapace.env</c> annotation and image id and root).
    /// </summary>
    /// <exception cref="ArgumentException">The annotation is not an object of strings, or the limits make no valid manifest.</exception>
    public static FunctionManifest ManifestOf(ActionRecord action)
    {
        ArgumentNullException.ThrowIfNull(action);
        return ActionManifest.For(action.Name.Name, action.Limits.MemoryMiB, action.Limits.TimeoutMs, EnvironmentOf(action.Annotations),
            ImageOf(action.Exec.Image));
    }

    /// <summary>The image reference of a stored image (null for none).</summary>
    /// <exception cref="ArgumentException">The stored id or root is not hex.</exception>
    public static ImageReference? ImageOf(ActionImage? image)
    {
        if (image is null)
        {
            return null;
        }

        try
        {
            return new ImageReference(Convert.FromHexString(image.Id), Convert.FromHexString(image.Root));
        }
        catch (FormatException e)
        {
            throw new ArgumentException($"the stored image id or root of {image.Sha256} is not hex", e);
        }
    }

    /// <summary>The <c>carapace.env</c> annotation as pairs (empty when absent).</summary>
    /// <exception cref="ArgumentException">The annotation is not a JSON object of strings.</exception>
    public static IReadOnlyList<KeyValuePair<string, string>> EnvironmentOf(IReadOnlyList<KeyValue> annotations)
    {
        ArgumentNullException.ThrowIfNull(annotations);
        var env = annotations.FirstOrDefault(a => a.Key == ActionManifest.EnvironmentAnnotation);
        if (env is null)
        {
            return [];
        }

        if (env.Value.ValueKind != JsonValueKind.Object)
        {
            throw new ArgumentException($"the '{ActionManifest.EnvironmentAnnotation}' annotation must be a JSON object of strings");
        }

        var pairs = new List<KeyValuePair<string, string>>();
        foreach (var property in env.Value.EnumerateObject())
        {
            if (property.Value.ValueKind != JsonValueKind.String)
            {
                throw new ArgumentException($"the '{ActionManifest.EnvironmentAnnotation}' value of '{property.Name}' must be a string");
            }

            pairs.Add(new(property.Name, property.Value.GetString()!));
        }

        return pairs;
    }
}
