using System.Net;

namespace Carapace.Client.Invocation;

/// <summary>
/// An invocation gave no trustworthy output; <see cref="Failure"/> says why and the message says what to do. It never
/// contains input or output bytes, only the platform's public error text.
/// </summary>
public sealed class InvocationException : Exception
{
    /// <summary>Creates the error.</summary>
    public InvocationException(InvocationFailure failure, string message, HttpStatusCode? statusCode = null, string? activationId = null,
        string? activationStatus = null, string? error = null, Exception? inner = null)
        : base(message, inner)
    {
        Failure = failure;
        StatusCode = statusCode;
        ActivationId = activationId;
        ActivationStatus = activationStatus;
        Error = error;
    }

    /// <summary>Why.</summary>
    public InvocationFailure Failure { get; }

    /// <summary>The gateway's HTTP status, when it answered with an error.</summary>
    public HttpStatusCode? StatusCode { get; }

    /// <summary>The activation, when one was recorded.</summary>
    public string? ActivationId { get; }

    /// <summary>OpenWhisk's status of a failed activation (<c>application error</c>, <c>action developer error</c>, <c>whisk internal error</c>).</summary>
    public string? ActivationStatus { get; }

    /// <summary>The platform's error text (OpenWhisk's <c>error</c>).</summary>
    public string? Error { get; }

    /// <summary>For <see cref="InvocationFailure.Unavailable"/>: the platform's <c>Retry-After</c>, when it gave one.</summary>
    public TimeSpan? RetryAfter { get; init; }
}
