namespace Carapace.Kms.Api;

/// <summary>The routes of the KMS's HTTP API (all under <c>/v1</c>) and the limits both sides apply.</summary>
internal static class KmsApiPaths
{
    /// <summary>The largest request body the KMS reads, in bytes (larger bodies get 413).</summary>
    public const int MaxRequestBytes = 1 << 20;

    /// <summary>The largest response body a client reads, in bytes.</summary>
    public const int MaxResponseBytes = 16 << 20;

    public const string Nonces = "/v1/nonces";
    public const string Policies = "/v1/policies/{ns}";
    public const string Audit = "/v1/audit";
    public const string AuditVerify = "/v1/audit/verify";
    public const string Release = "/v1/release";
    public const string ClientKeys = "/v1/client-keys";
    public const string Health = "/v1/health";

    /// <summary>The request target of a policy: names are percent-escaped, so a '/' in a name stays one path segment.</summary>
    public static string PolicyOf(string ns) => "v1/policies/" + Uri.EscapeDataString(ns);

    public static string AuditOf(string ns) => "v1/audit?namespace=" + Uri.EscapeDataString(ns);

    public static string AuditVerifyOf(string ns) => "v1/audit/verify?namespace=" + Uri.EscapeDataString(ns);
}
