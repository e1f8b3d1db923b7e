using System.Text.Json;
using System.Text.Json.Serialization;

namespace Carapace.Kms.Api;

/// <summary>The routes of the KMS's secret API (see docs/attestation.md) and the requests that build their targets.</summary>
internal static class SecretApiPaths
{
    /// <summary><c>GET</c>: the list (owner-signed). </summary>
    public const string List = "/v1/secrets/{ns}";

    /// <summary><c>PUT</c> (a put) and <c>DELETE</c> (a delete), each with a signed secret write document as the body.</summary>
    public const string Secret = "/v1/secrets/{ns}/{name}";

    /// <summary><c>GET</c>: the KMS's secret-sealing public key.</summary>
    public const string SealingKey = "/v1/secret-sealing-key";

    /// <summary>The request target of a namespace's list: names are percent-escaped, so a '/' in a name stays one path segment.</summary>
    public static string ListOf(string ns) => "v1/secrets/" + Uri.EscapeDataString(ns);

    /// <summary>The request target of one secret.</summary>
    public static string SecretOf(string ns, string name) => "v1/secrets/" + Uri.EscapeDataString(ns) + "/" + Uri.EscapeDataString(name);
}

/// <summary><c>GET /v1/secret-sealing-key</c>: base64 of the DER SubjectPublicKeyInfo and its fingerprint (hex SHA-256).</summary>
internal sealed record SealingKeyResponse(string? PublicKey, string? Fingerprint);

/// <summary>One secret in <c>GET /v1/secrets/{ns}</c>; never a value.</summary>
internal sealed record SecretEntryResponse(string? Name, bool Declared, long? Version, DateTimeOffset? CreatedAt, long LastWrite);

/// <summary><c>GET /v1/secrets/{ns}</c>.</summary>
internal sealed record SecretListResponse(string? Namespace, IReadOnlyList<SecretEntryResponse>? Secrets);

/// <summary><c>PUT</c> or <c>DELETE /v1/secrets/{ns}/{name}</c> applied.</summary>
internal sealed record SecretWriteResponse(
    string? Namespace, string? Secret, string? Operation, long Version, DateTimeOffset At, IReadOnlyList<string>? ApprovedBy, IReadOnlyList<string>? Ignored);

/// <summary>Source-generated JSON for the secret API types: camelCase names, unknown members refused.</summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SealingKeyResponse))]
[JsonSerializable(typeof(SecretListResponse))]
[JsonSerializable(typeof(SecretWriteResponse))]
internal sealed partial class SecretJson : JsonSerializerContext;
