using System.Text.Json;
using System.Text.Json.Serialization;

namespace Carapace.Kms.Api;

/// <summary>The body of every error response: a machine-readable reason, a sentence, and for policies every problem.</summary>
internal sealed record ErrorResponse(string? Reason, string? Message, IReadOnlyList<string>? Errors = null);

/// <summary><c>POST /v1/nonces</c>.</summary>
internal sealed record NonceResponse(string? Nonce, DateTimeOffset ExpiresAt);

/// <summary><c>PUT /v1/policies/{ns}</c> accepted.</summary>
internal sealed record PolicyUpdateResponse(
    string? Namespace, ulong Version, ulong? PreviousVersion, IReadOnlyList<string>? ApprovedBy, IReadOnlyList<string>? Ignored, string? PolicySha256);

/// <summary>One audit record; <c>details</c> is the JSON text exactly as hashed, the hashes are lower-case hex.</summary>
internal sealed record AuditRecordResponse(
    long Seq, DateTimeOffset Time, string? Kind, string? Namespace, string? Subject, string? Details, string? PreviousHash, string? Hash);

/// <summary><c>GET /v1/audit</c>.</summary>
internal sealed record AuditResponse(IReadOnlyList<AuditRecordResponse>? Records);

/// <summary><c>GET /v1/audit/verify</c>.</summary>
internal sealed record AuditVerificationResponse(
    bool Intact, long Records, long? HeadSeq, string? HeadHash, long? FirstBadSeq, string? Fault, string? Message);

/// <summary><c>POST /v1/release</c> request.</summary>
internal sealed record ReleaseRequest(string? Namespace, string? Function);

/// <summary><c>POST /v1/release</c> granted: the entitlement sealed to the client certificate's key (see <see cref="ReleaseSealing"/>).</summary>
internal sealed record ReleaseResponse(string? EphemeralKey, string? Nonce, string? Ciphertext);

/// <summary><c>POST /v1/client-keys</c> request (the granted answer is written by <see cref="ChainKeysCodec"/>, which zeroes its buffers).</summary>
internal sealed record ClientKeysRequest(string? Namespace, string? Chain);

/// <summary>Source-generated JSON for the API types: camelCase names, unknown members refused.</summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(NonceResponse))]
[JsonSerializable(typeof(PolicyUpdateResponse))]
[JsonSerializable(typeof(AuditResponse))]
[JsonSerializable(typeof(AuditVerificationResponse))]
[JsonSerializable(typeof(ReleaseRequest))]
[JsonSerializable(typeof(ReleaseResponse))]
[JsonSerializable(typeof(ClientKeysRequest))]
internal sealed partial class KmsJson : JsonSerializerContext;
