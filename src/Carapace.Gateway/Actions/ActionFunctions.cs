using Carapace.Controller;
using Carapace.Controller.Invocation;
using Carapace.Controller.Registry;
using Carapace.Functions;

namespace Carapace.Gateway.Actions;

/// <summary>How a deployed action becomes an enclave function: its manifest, by the rule clients measure with.</summary>
public static class ActionFunctions
{
    /// <summary>
    /// The manifest of <paramref name="action"/> (<see cref="ActionManifest.For"/> over its name, limits,
    /// <c>carapace.env</c> annotation, and image id, root and <c>carapace.mount</c> path).
    /// </summary>
    /// <exception cref="ActionNotRunnableException">
    /// The stored action makes no valid manifest (an environment or limits an older version stored unchecked); the
    /// message names the field and says to update the action.
    /// </exception>
    public static FunctionManifest ManifestOf(ActionRecord action)
    {
        ArgumentNullException.ThrowIfNull(action);
        var environment = EnvironmentOf(action.Annotations);
        try
        {
            var image = ImageOf(action.Exec.Image);
            if (image is not null)
            {
                var problems = new List<string>();
                var mount = ActionMount.Parse(action.Annotations.FirstOrDefault(a => a.Key == ActionMount.Annotation)?.Value, problems)
                    ?? throw new ArgumentException(string.Join(" ", problems));
                image = image with { MountPath = mount };
            }

            byte[]? sealedCode = null;
            if (action.Annotations.FirstOrDefault(a => a.Key == SealedCode.Annotation) is { } code)
            {
                var problems = new List<string>();
                sealedCode = SealedCode.ParseAnnotation(code.Value, problems) ?? throw new ArgumentException(string.Join(" ", problems));
            }

            return ActionManifest.For(action.Name.Name, action.Limits.MemoryMiB, action.Limits.TimeoutMs, environment, image, sealedCode,
                action.Exec.IsJavaScript ? action.Exec.Main ?? "main" : null);
        }
        catch (ArgumentException e)
        {
            throw NotRunnable(action, e.Message, e);
        }
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

    /// <summary>The <c>carapace.env</c> annotation as pairs, in ordinal name order (empty when absent).</summary>
    /// <exception cref="ActionNotRunnableException">The annotation breaks the rules of <see cref="ActionEnvironment"/>.</exception>
    public static IReadOnlyList<KeyValuePair<string, string>> EnvironmentOf(IReadOnlyList<KeyValue> annotations)
    {
        ArgumentNullException.ThrowIfNull(annotations);
        var env = annotations.FirstOrDefault(a => a.Key == ActionEnvironment.Annotation);
        if (env is null)
        {
            return [];
        }

        var problems = new List<string>();
        return ActionEnvironment.Parse(env.Value, problems)
            ?? throw new ActionNotRunnableException(string.Join(" ", problems) + " Update the action with a valid 'carapace.env' (PUT it with overwrite=true).");
    }

    private static ActionNotRunnableException NotRunnable(ActionRecord action, string problem, Exception inner) =>
        new($"the stored definition of {action.Name} makes no valid function ({problem}); update the action (PUT it with overwrite=true).", inner);
}
