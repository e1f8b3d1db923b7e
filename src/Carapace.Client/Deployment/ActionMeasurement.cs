using System.Security.Cryptography;
using System.Text.Json;
using Carapace.Functions;
using Carapace.Functions.Images;

namespace Carapace.Client.Deployment;

/// <summary>
/// The measurement an enclave attests for a deployed action, computed the way the platform builds the enclave:
/// <see cref="Measurement.Compute"/> over the runtime identity of the enclave files, SHA-256 of the module and
/// <see cref="ActionManifest.For"/> of the action's name, limits, <c>carapace.env</c> environment and image id and root.
/// </summary>
public static class ActionMeasurement
{
    /// <summary>The measurement of action <paramref name="name"/>.</summary>
    /// <param name="runtimeIdentity">The enclave runtime's identity (from the reference values, <see cref="ReferenceValues"/>).</param>
    /// <param name="name">The action's name (without namespace).</param>
    /// <param name="module">The WebAssembly module.</param>
    /// <param name="memoryMiB">The action's memory limit as stored.</param>
    /// <param name="timeoutMs">The action's time limit as stored.</param>
    /// <param name="environment">The action's <c>carapace.env</c> annotation.</param>
    /// <param name="image">The id and root of the action's image, if it has one.</param>
    /// <param name="sealedCodeHash">For sealed code, the SHA-256 of the module in the image (<paramref name="module"/> is then the public stub).</param>
    /// <param name="javaScriptMain">
    /// For a JavaScript action, its entry point (<c>exec.main</c>, <c>main</c> by default): <paramref name="module"/> is then
    /// its UTF-8 source and <paramref name="runtimeIdentity"/> must be the JavaScript enclave's. Null for a module.
    /// </param>
    /// <exception cref="ArgumentException">The values make no valid manifest.</exception>
    public static byte[] Compute(ReadOnlySpan<byte> runtimeIdentity, string name, ReadOnlySpan<byte> module, int memoryMiB, int timeoutMs,
        IEnumerable<KeyValuePair<string, string>>? environment, ImageReference? image = null, byte[]? sealedCodeHash = null, string? javaScriptMain = null) =>
        Measurement.Compute(runtimeIdentity, SHA256.HashData(module),
            ActionManifest.For(name, memoryMiB, timeoutMs, environment, image, sealedCodeHash, javaScriptMain).Encode());

    /// <summary>The sealed module's hash an action's <c>carapace.code</c> annotation gives (null when absent).</summary>
    /// <exception cref="FormatException">The annotation is not a valid module hash.</exception>
    public static byte[]? SealedCodeOf(IReadOnlyDictionary<string, JsonElement> annotations)
    {
        ArgumentNullException.ThrowIfNull(annotations);
        if (!annotations.TryGetValue(SealedCode.Annotation, out var code))
        {
            return null;
        }

        var problems = new List<string>();
        return SealedCode.ParseAnnotation(code, problems) ?? throw new FormatException(string.Join(" ", problems));
    }

    /// <summary>The id and root in the public header of <paramref name="image"/> (no key needed).</summary>
    /// <exception cref="ArgumentException">It is not a file-system image made by <c>carapace pack</c>.</exception>
    public static ImageReference ImageReferenceOf(ReadOnlyMemory<byte> image)
    {
        try
        {
            using var stream = new MemoryStream(image.ToArray(), writable: false);
            var header = ImageHeader.Read(stream);
            return new ImageReference(header.ImageId, header.Root);
        }
        catch (ImageFormatException e)
        {
            throw new ArgumentException($"not a usable file-system image: {e.Message}", nameof(image), e);
        }
    }

    /// <summary>The mount path of an action's image (its <c>carapace.mount</c> annotation, else the default).</summary>
    /// <exception cref="FormatException">The annotation is not a valid mount path.</exception>
    public static string MountOf(IReadOnlyDictionary<string, JsonElement> annotations)
    {
        ArgumentNullException.ThrowIfNull(annotations);
        var problems = new List<string>();
        return ActionMount.Parse(annotations.TryGetValue(ActionMount.Annotation, out var mount) ? mount : null, problems)
            ?? throw new FormatException(string.Join(" ", problems));
    }

    /// <summary>The <c>carapace.env</c> annotation of an action as pairs, in ordinal name order (empty when absent).</summary>
    /// <exception cref="FormatException">The annotation breaks the rules of <see cref="ActionEnvironment"/>.</exception>
    public static IReadOnlyList<KeyValuePair<string, string>> EnvironmentOf(IReadOnlyDictionary<string, JsonElement> annotations)
    {
        ArgumentNullException.ThrowIfNull(annotations);
        if (!annotations.TryGetValue(ActionEnvironment.Annotation, out var env) || env.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
        {
            return [];
        }

        var problems = new List<string>();
        return ActionEnvironment.Parse(env, problems) ?? throw new FormatException(string.Join(" ", problems));
    }
}
