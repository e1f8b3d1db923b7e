using System.Security.Cryptography;
using System.Text.Json;

namespace Carapace.Functions;

/// <summary>
/// Confidential code: a function whose module the operator never sees. The deploying client packs the module into the
/// function's shielded image at <see cref="PathInImage"/>; the platform stores and sends, as the action's public code,
/// only <see cref="PublicStub"/> — one fixed 51-byte module, the same for every sealed function — and the manifest
/// carries the real module's SHA-256 (<see cref="FunctionManifest.SealedCodeHash"/>). The measurement covers the stub,
/// that hash and the image root, so it still pins exactly what runs. The enclave reads the module from the image only
/// after the KMS released the image key for that measurement, checks its hash, compiles it and never hands a compiled
/// form of it to the host (no module-cache artifact).
/// </summary>
public static class SealedCode
{
    /// <summary>Where the module lies in the image, relative to its root (so <c>/data/.carapace/code.wasm</c> at the default mount).</summary>
    public const string PathInImage = ".carapace/code.wasm";

    /// <summary>The directory of <see cref="PathInImage"/>.</summary>
    public const string DirectoryInImage = ".carapace";

    /// <summary>The file name of <see cref="PathInImage"/>.</summary>
    public const string FileName = "code.wasm";

    /// <summary>Where a JavaScript function's sealed source lies in the image, relative to its root.</summary>
    public const string JavaScriptPathInImage = ".carapace/code.js";

    /// <summary>The file name of <see cref="JavaScriptPathInImage"/>.</summary>
    public const string JavaScriptFileName = "code.js";

    /// <summary>
    /// The public code of every sealed JavaScript function: a fixed comment, the same for all of them. Its <c>main</c>
    /// does not exist, so it could not run even if an enclave were given it without the sealed source.
    /// </summary>
    public static ReadOnlySpan<byte> JavaScriptStub => "// Carapace sealed code: this function's source is only inside its shielded image.\n"u8;

    /// <summary>Whether <paramref name="source"/> is <see cref="JavaScriptStub"/>.</summary>
    public static bool IsJavaScriptStub(ReadOnlySpan<byte> source) => source.SequenceEqual(JavaScriptStub);

    /// <summary>The largest sealed module (48 MiB, the largest public module an action may have).</summary>
    public const int MaxModuleBytes = 48 * 1024 * 1024;

    private static readonly byte[] s_stub =
    [
        0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00,       // "\0asm", version 1
        0x01, 0x04, 0x01, 0x60, 0x00, 0x00,                   // type section: one type, () -> ()
        0x03, 0x02, 0x01, 0x00,                               // function section: one function of type 0
        0x05, 0x03, 0x01, 0x00, 0x00,                         // memory section: one memory of 0 pages
        0x07, 0x13, 0x02,                                     // export section: two exports
        0x06, 0x6D, 0x65, 0x6D, 0x6F, 0x72, 0x79, 0x02, 0x00, //   "memory" → memory 0
        0x06, 0x5F, 0x73, 0x74, 0x61, 0x72, 0x74, 0x00, 0x00, //   "_start" → function 0
        0x0A, 0x05, 0x01, 0x03, 0x00, 0x00, 0x0B,             // code section: one body of no locals, unreachable, end
    ];

    private static readonly byte[] s_stubHash = SHA256.HashData(s_stub);

    /// <summary>
    /// The public code of every sealed function: a command module whose <c>_start</c> traps at once. It is measured like
    /// any module, but an enclave given a manifest with <see cref="FunctionManifest.SealedCodeHash"/> never runs it.
    /// </summary>
    public static ReadOnlySpan<byte> PublicStub => s_stub;

    /// <summary>SHA-256 of <see cref="PublicStub"/>.</summary>
    public static ReadOnlySpan<byte> PublicStubHash => s_stubHash;

    /// <summary>Whether <paramref name="module"/> is the public stub.</summary>
    public static bool IsPublicStub(ReadOnlySpan<byte> module) => module.SequenceEqual(s_stub);

    /// <summary>
    /// The annotation that makes a deployed action's code sealed: a JSON string, the SHA-256 of the module in its image
    /// as 64 lower-case hex digits. Measured like the environment; the gateway refuses it on an action without an image
    /// or whose public code is not <see cref="PublicStub"/>.
    /// </summary>
    public const string Annotation = "carapace.code";

    /// <summary>The module hash an annotation value gives, or null with the problem added to <paramref name="problems"/>.</summary>
    public static byte[]? ParseAnnotation(JsonElement value, List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        if (value.ValueKind == JsonValueKind.String && value.GetString() is { Length: 64 } hex && hex.All(char.IsAsciiHexDigitLower))
        {
            return Convert.FromHexString(hex);
        }

        problems.Add($"'{Annotation}' must be a string of 64 lower-case hex digits: the SHA-256 of the module sealed in the action's image.");
        return null;
    }
}
