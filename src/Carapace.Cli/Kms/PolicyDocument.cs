using System.Text;
using System.Text.Json;
using Carapace.Cli.Infrastructure;
using Carapace.Kms.Client.Policy;

namespace Carapace.Cli.Kms;

/// <summary>
/// Reads the FILE of <c>policy sign</c> and <c>policy set</c>: either a policy (JSON, signed as the exact text of the
/// file) or a signed policy document <c>{"policy": "…", "signatures": […]}</c> to add signatures to.
/// </summary>
internal static class PolicyDocument
{
    /// <summary>The signed document (with no signatures for a plain policy) and its parsed, validated policy.</summary>
    public static (SignedPolicy Document, KmsPolicy Policy) Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new CliFailure($"policy file {path} does not exist", ExitCodes.IoError);
        }

        var bytes = File.ReadAllBytes(path);
        if (bytes.Length > SignedPolicy.MaxBytes)
        {
            throw new CliFailure($"{path} is {bytes.Length} bytes; a signed policy document is at most {SignedPolicy.MaxBytes}");
        }

        var document = IsSigned(bytes)
            ? SignedPolicy.Parse(bytes)
            : new SignedPolicy { PolicyText = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(StripBom(bytes)) };
        return (document, KmsPolicy.Parse(document.PolicyText));
    }

    private static bool IsSigned(byte[] bytes)
    {
        try
        {
            using var json = JsonDocument.Parse(bytes);
            return json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("policy", out var policy)
                && policy.ValueKind == JsonValueKind.String;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static ReadOnlySpan<byte> StripBom(byte[] bytes) => bytes.AsSpan().StartsWith("\uFEFF"u8) ? bytes.AsSpan(3) : bytes;
}
