using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Carapace.Gateway.Http;

/// <summary>
/// The request line and header limits, enforced by the gateway so that a refusal carries OpenWhisk's error JSON.
/// Kestrel answers requests over its own limits itself, before any application code runs and with an empty body;
/// so Kestrel's limits are set to <see cref="KestrelFactor"/> times these, and the gateway refuses what lies between
/// (414 for the request line, 431 for the headers) with a body. Only a request beyond Kestrel's limits gets the bare status.
/// </summary>
internal static class RequestHeadLimits
{
    /// <summary>Longest request line (method, target, version), in bytes: Kestrel's default.</summary>
    public const int MaxRequestLineBytes = 8 * 1024;

    /// <summary>Most bytes of all request headers (names, values, separators): Kestrel's default.</summary>
    public const int MaxHeadersBytes = 32 * 1024;

    /// <summary>Most request headers: Kestrel's default.</summary>
    public const int MaxHeaderCount = 100;

    /// <summary>How much higher Kestrel's own limits are set.</summary>
    public const int KestrelFactor = 2;

    /// <summary>Raises Kestrel's limits so that the gateway sees, and refuses itself, requests over its own.</summary>
    public static void Apply(KestrelServerLimits limits)
    {
        limits.MaxRequestLineSize = MaxRequestLineBytes * KestrelFactor;
        limits.MaxRequestHeadersTotalSize = MaxHeadersBytes * KestrelFactor;
        limits.MaxRequestHeaderCount = MaxHeaderCount * KestrelFactor;
    }

    /// <summary>The status and message for a request over a limit; null when within them.</summary>
    public static (int Status, string Message)? Check(HttpContext context)
    {
        var request = context.Request;
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? request.Path.Value ?? "";
        var line = request.Method.Length + target.Length + request.Protocol.Length + 4;
        if (line > MaxRequestLineBytes)
        {
            return (StatusCodes.Status414UriTooLong,
                $"The request line is {line} bytes; the limit is {MaxRequestLineBytes}. Send long data in the body, not the URL.");
        }

        long bytes = 0;
        var count = 0;
        foreach (var (name, values) in request.Headers)
        {
            foreach (var value in values)
            {
                count++;
                bytes += name.Length + (value?.Length ?? 0) + 4;
            }
        }

        if (count > MaxHeaderCount || bytes > MaxHeadersBytes)
        {
            return (StatusCodes.Status431RequestHeaderFieldsTooLarge,
                $"The request has {count} headers of {bytes} bytes; the limits are {MaxHeaderCount} headers and {MaxHeadersBytes} bytes.");
        }

        return null;
    }
}
