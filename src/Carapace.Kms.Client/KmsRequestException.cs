using System.Net;

namespace Carapace.Kms.Client;

/// <summary>
/// A KMS request failed for a reason other than a denial, a policy rejection or an untrusted KMS: the KMS cannot be
/// reached (<see cref="StatusCode"/> null), or it answered with an error status (unauthenticated owner request,
/// unknown namespace, body too large, internal error). The message is the KMS's own when it gave one.
/// </summary>
public sealed class KmsRequestException : Exception
{
    /// <summary>Creates the error.</summary>
    public KmsRequestException(string message, HttpStatusCode? statusCode = null, string? reason = null, Exception? inner = null)
        : base(message, inner)
    {
        StatusCode = statusCode;
        Reason = reason;
    }

    /// <summary>The HTTP status the KMS answered with, or null when it could not be reached.</summary>
    public HttpStatusCode? StatusCode { get; }

    /// <summary>The KMS's machine-readable reason (e.g. <c>BadSignature</c>, <c>NotAnOwner</c>), when it gave one.</summary>
    public string? Reason { get; }
}
