using Carapace.Functions;

namespace Carapace.Client.Deployment;

/// <summary>How <see cref="CarapaceClient.DeployAsync"/> deploys an action. Checked by <see cref="Validate"/>.</summary>
public sealed class DeployOptions
{
    /// <summary>The smallest memory limit the platform accepts, in MiB.</summary>
    public const int MinMemoryMiB = 128;

    /// <summary>Length of an image key in bytes.</summary>
    public const int ImageKeyBytes = 32;

    /// <summary>The memory limit in MiB (OpenWhisk's default, 256).</summary>
    public int MemoryMiB { get; init; } = 256;

    /// <summary>The time limit in milliseconds (OpenWhisk's default, 60 s).</summary>
    public int TimeoutMs { get; init; } = 60_000;

    /// <summary>
    /// The function's non-secret environment (the <c>carapace.env</c> annotation). It is part of the measurement: the
    /// platform cannot change it without the KMS refusing the enclave its keys.
    /// </summary>
    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();

    /// <summary>Names of KMS secrets the function is granted (declared in the namespace policy if they are not yet).</summary>
    public IReadOnlyList<string> Secrets { get; init; } = [];

    /// <summary>True (the default): sealed input and output, keys only from the KMS under policy. False: plaintext JSON.</summary>
    public bool Confidential { get; init; } = true;

    /// <summary>
    /// A file-system image from <c>carapace pack</c> to mount read-only at /data, or null. Its id and Merkle root are
    /// part of the measurement; it travels encrypted to the gateway.
    /// </summary>
    public ReadOnlyMemory<byte>? Image { get; init; }

    /// <summary>
    /// The image's 32-byte key (required with <see cref="Image"/>). It goes only to the KMS, over its attested TLS, as
    /// the owner-signed secret <c>image-key.NAME.IMAGEID</c> granted to this function; never to the gateway.
    /// </summary>
    public ReadOnlyMemory<byte>? ImageKey { get; init; }

    /// <summary>
    /// Where the guest sees <see cref="Image"/> (the <c>carapace.mount</c> annotation, part of the measurement): an
    /// absolute path, <c>/</c> for the whole tree; null for <see cref="ImageReference.DefaultMountPath"/>.
    /// </summary>
    public string? ImageMount { get; init; }

    /// <summary>
    /// Sealed code (<see cref="Carapace.Functions.SealedCode"/>): the module given to the deploy is the one packed in
    /// <see cref="Image"/> at <c>.carapace/code.wasm</c> (a JavaScript source at <c>.carapace/code.js</c>); the gateway
    /// gets only the public stub and the code's hash (the <c>carapace.code</c> annotation), never the code.
    /// </summary>
    public bool SealedCode { get; init; }

    /// <summary>
    /// The kind: null (or <c>wasm:wasi</c>) for a WebAssembly module, or one of OpenWhisk's JavaScript kinds
    /// (<c>nodejs:default</c>, <c>nodejs:20</c>, …): the code given to the deploy is then JavaScript source (UTF-8), run
    /// by the JavaScript enclave and measured with its runtime identity.
    /// </summary>
    public string? Kind { get; init; }

    /// <summary>A JavaScript action's entry point (<c>exec.main</c>, part of the measurement); null for <c>main</c>.</summary>
    public string? Main { get; init; }

    /// <summary>Whether <see cref="Kind"/> is a JavaScript kind.</summary>
    public bool IsJavaScript => Gateway.JavaScriptKind.Is(Kind);

    /// <summary>Every problem with these options, one sentence each; empty when they are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (MemoryMiB < MinMemoryMiB)
        {
            problems.Add($"the memory limit {MemoryMiB} MiB is below the platform's minimum of {MinMemoryMiB} MiB");
        }

        if (TimeoutMs <= 0)
        {
            problems.Add($"the time limit {TimeoutMs} ms must be positive");
        }

        if (Kind is not null && Kind != "wasm:wasi" && !IsJavaScript)
        {
            problems.Add($"the kind '{Kind}' is not one the platform runs: 'wasm:wasi', 'nodejs:default' or 'nodejs:N'");
        }

        if (Main is { } main && (!IsJavaScript || !FunctionManifest.IsJavaScriptName(main)))
        {
            problems.Add(IsJavaScript
                ? $"the entry point '{main}' is not a JavaScript identifier of at most {FunctionManifest.MaxMainBytes} characters (ASCII letters, digits, _ and $, not starting with a digit)"
                : "an entry point (main) is only for JavaScript actions");
        }

        // The rules the gateway and the enclave enforce (names without '=' or NUL, values without NUL, bounded sizes).
        problems.AddRange(ActionEnvironment.Check(Env ?? new Dictionary<string, string>(), "the environment").Select(p => p.TrimEnd('.')));

        if (!Confidential && Secrets?.Count > 0)
        {
            problems.Add("a plaintext action gets no secrets: secrets are released by the KMS only to attested confidential functions");
        }

        if (SealedCode && (Image is null || !Confidential))
        {
            problems.Add("sealed code lives in the action's image, so it needs an image and a confidential action");
        }

        if (ImageMount is { } mount)
        {
            if (Image is null)
            {
                problems.Add("a mount path needs an image");
            }
            else if (ImageReference.MountPathProblem(mount) is { } mountProblem)
            {
                problems.Add(mountProblem);
            }
        }

        if (Image is { } image)
        {
            if (!Confidential)
            {
                problems.Add("a plaintext action cannot mount an image: its key is released by the KMS only to attested confidential functions");
            }

            if (image.IsEmpty)
            {
                problems.Add("the image is empty; give a file made by 'carapace pack'");
            }

            if (ImageKey is not { Length: ImageKeyBytes })
            {
                problems.Add($"an image needs its {ImageKeyBytes}-byte key (the IMG.key file 'carapace pack' writes)");
            }
        }
        else if (ImageKey is not null)
        {
            problems.Add("an image key was given without an image");
        }

        return problems;
    }
}
