using System.Security.Cryptography;
using System.Text.Json.Serialization.Metadata;
using Carapace.Kms.Client.Api;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Carapace.Kms.Server;

/// <summary>Reads request bodies within the size limit and writes JSON responses.</summary>
internal static class HttpIo
{
    /// <summary>
    /// The whole body in one exactly-sized array (grown copies are zeroed, since bodies can hold secret values), or null
    /// when it is larger than <paramref name="max"/> bytes. The caller zeroes the result when it holds a secret.
    /// </summary>
    public static async Task<byte[]?> ReadBodyAsync(HttpRequest request, int max, CancellationToken cancellationToken)
    {
        if (request.ContentLength is { } declared && declared > max)
        {
            return null;
        }

        var buffer = new byte[(int)Math.Min(request.ContentLength ?? 4096, max + 1L)];
        var count = 0;
        try
        {
            while (true)
            {
                if (count == buffer.Length)
                {
                    if (buffer.Length > max)
                    {
                        CryptographicOperations.ZeroMemory(buffer);
                        return null;
                    }

                    var larger = new byte[(int)Math.Min(buffer.Length * 2L, max + 1L)];
                    buffer.CopyTo(larger, 0);
                    CryptographicOperations.ZeroMemory(buffer);
                    buffer = larger;
                }

                var read = await request.Body.ReadAsync(buffer.AsMemory(count), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                count += read;
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            CryptographicOperations.ZeroMemory(buffer);
            return null;
        }
        catch
        {
            CryptographicOperations.ZeroMemory(buffer);
            throw;
        }

        if (count > max)
        {
            CryptographicOperations.ZeroMemory(buffer);
            return null;
        }

        if (count == buffer.Length)
        {
            return buffer;
        }

        var exact = buffer.AsSpan(0, count).ToArray();
        CryptographicOperations.ZeroMemory(buffer);
        return exact;
    }

    /// <summary>The request's path and query exactly as the client sent them (what owners sign).</summary>
    public static string RawTarget(HttpContext context) =>
        context.Features.Get<IHttpRequestFeature>()?.RawTarget is { Length: > 0 } raw ? raw : context.Request.Path + context.Request.QueryString;

    public static Task WriteJsonAsync<T>(HttpContext context, int status, T value, JsonTypeInfo<T> type)
    {
        StartJson(context, status);
        return System.Text.Json.JsonSerializer.SerializeAsync(context.Response.Body, value, type, context.RequestAborted);
    }

    /// <summary>Writes JSON the caller already encoded (and zeroes afterwards, when it holds keys).</summary>
    public static async Task WriteJsonAsync(HttpContext context, int status, ReadOnlyMemory<byte> json)
    {
        StartJson(context, status);
        await context.Response.Body.WriteAsync(json, context.RequestAborted).ConfigureAwait(false);
    }

    public static Task WriteErrorAsync(HttpContext context, int status, string reason, string message, IReadOnlyList<string>? errors = null) =>
        WriteJsonAsync(context, status, new ErrorResponse(reason, message, errors), KmsJson.Default.ErrorResponse);

    private static void StartJson(HttpContext context, int status)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
    }
}
