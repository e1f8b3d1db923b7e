namespace Carapace.Functions;

/// <summary>
/// The manifest of a function deployed on the platform as an action. The platform builds it from the action's public
/// record when it specialises an enclave, and the client that deploys the action builds the same one to compute the
/// measurement it puts in the KMS policy; because both use this one rule, equal actions measure equal, and a platform
/// that changes an action's limits or environment changes its measurement (and the KMS then releases nothing).
/// </summary>
/// <remarks>
/// argv[0] is the action's name (without namespace); memory is <c>limits.memory</c> MiB and the timeout
/// <c>limits.timeout</c> ms; the environment is the action's <c>carapace.env</c> annotation, in ordinal key order;
/// the image is the id and Merkle root of the action's <c>exec.image</c>, if it has one (so the measurement covers
/// the image's contents); everything else keeps the <see cref="FunctionManifest"/> defaults. Secrets, including the
/// image's key, are never in a manifest.
/// </remarks>
public static class ActionManifest
{
    /// <summary>The annotation that carries an action's non-secret environment (a JSON object of strings).</summary>
    public const string EnvironmentAnnotation = "carapace.env";

    /// <summary>
    /// The KMS secret that, in KMS mode, carries the key of a function's shielded image for the whole namespace, unless the
    /// function is granted its image's own <see cref="ImageKeySecretOf(string, ImageReference)"/> or its own
    /// <see cref="ImageKeySecretOf(string)"/> (so several functions of one namespace can each have their image).
    /// </summary>
    public const string ImageKeySecret = "image-key";

    /// <summary>
    /// The KMS secret that holds the image key of function <paramref name="name"/> whatever its image:
    /// <c>image-key.NAME</c>. An enclave in KMS mode unlocks the function's image with it if granted and not granted the
    /// image's own <see cref="ImageKeySecretOf(string, ImageReference)"/>, else with the namespace-wide <c>image-key</c>.
    /// </summary>
    public static string ImageKeySecretOf(string name) => ImageKeySecret + "." + name;

    /// <summary>
    /// The KMS secret that holds the key of image <paramref name="image"/> of function <paramref name="name"/>:
    /// <c>image-key.NAME.IMAGEID</c> (the image id in 32 lower-case hex digits). Each image has its own, so a redeploy
    /// with a new image stores the new key beside the old one, and the action still in place keeps opening its image
    /// until the new one replaces it. An enclave in KMS mode looks for it first, then <see cref="ImageKeySecretOf(string)"/>,
    /// then the namespace-wide <c>image-key</c>.
    /// </summary>
    public static string ImageKeySecretOf(string name, ImageReference image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return ImageKeySecretOf(name) + "." + Convert.ToHexStringLower(image.Id.Span);
    }

    /// <summary>
    /// Whether secret <paramref name="secret"/> is an image key of function <paramref name="name"/> (its own, one of
    /// its images', or the namespace-wide one): such secrets unlock images and are never handed to the guest.
    /// </summary>
    public static bool IsImageKeySecret(string secret, string name)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var own = ImageKeySecretOf(name);
        return secret == ImageKeySecret || secret == own
            || (secret.Length > own.Length + 1 && secret.StartsWith(own, StringComparison.Ordinal) && secret[own.Length] == '.');
    }

    /// <summary>
    /// The manifest of action <paramref name="name"/> with the given limits, environment and image, and for sealed code
    /// (<see cref="SealedCode"/>) the SHA-256 of the module in the image; for a JavaScript action (OpenWhisk's
    /// <c>nodejs</c> kinds) <paramref name="javaScriptMain"/> is its <c>exec.main</c> (<see cref="FunctionManifest.JavaScriptMain"/>).
    /// </summary>
    /// <exception cref="ArgumentException">The values do not make a valid manifest; the message lists every problem.</exception>
    public static FunctionManifest For(string name, int memoryMiB, int timeoutMs, IEnumerable<KeyValuePair<string, string>>? environment = null,
        ImageReference? image = null, byte[]? sealedCodeHash = null, string? javaScriptMain = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var manifest = new FunctionManifest
        {
            Name = name,
            MemoryBytes = (long)memoryMiB << 20,
            TimeoutMilliseconds = timeoutMs,
            Environment = [.. (environment ?? []).OrderBy(e => e.Key, StringComparer.Ordinal)],
            Image = image,
            // A null array would convert to an empty, not an absent, ReadOnlyMemory.
            SealedCodeHash = sealedCodeHash is null ? default(ReadOnlyMemory<byte>?) : sealedCodeHash,
            JavaScriptMain = javaScriptMain,
        };
        manifest.Validate();
        return manifest;
    }
}
