using System.Net;

namespace Carapace.Client.Gateway;

/// <summary>
/// A gateway request failed; <see cref="Failure"/> says how. For <see cref="GatewayFailure.Rejected"/> the HTTP status,
/// OpenWhisk's <c>code</c> (the request id to report) and <c>error</c> text are kept. The message names the gateway's
/// address and what to do; it never contains the credential or a request body.
/// </summary>
public sealed class GatewayException : Exception
{
    /// <summary>Creates the error.</summary>
    public GatewayException(GatewayFailure failure, string message, HttpStatusCode? statusCode = null, string? code = null, string? error = null,
        Exception? inner = null)
        : base(message, inner)
    {
        Failure = failure;
        StatusCode = statusCode;
        Code = code;
        Error = error;
    }

    /// <summary>How the request failed.</summary>
    public GatewayFailure Failure { get; }

    /// <summary>The HTTP status of an error answer; null when there was no answer.</summary>
    public HttpStatusCode? StatusCode { get; }

    /// <summary>OpenWhisk's <c>code</c> of an error answer: the gateway's request id.</summary>
    public string? Code { get; }

    /// <summary>OpenWhisk's <c>error</c> text of an error answer.</summary>
    public string? Error { get; }
}
