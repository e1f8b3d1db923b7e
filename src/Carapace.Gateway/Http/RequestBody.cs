using Microsoft.AspNetCore.Http;

namespace Carapace.Gateway.Http;

/// <summary>Reads a request body within the gateway's size limit.</summary>
internal static class RequestBody
{
    /// <summary>The whole body, or null when it is larger than <paramref name="max"/> bytes.</summary>
    public static async Task<byte[]?> ReadAsync(HttpRequest request, long max, CancellationToken cancellationToken)
    {
        if (request.ContentLength is { } declared && declared > max)
        {
            return null;
        }

        using var buffer = new MemoryStream(checked((int)Math.Min(request.ContentLength ?? 16 * 1024, max)));
        var chunk = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    return buffer.ToArray();
                }

                if (buffer.Length + read > max)
                {
                    return null;
                }

                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return null;
        }
    }
}
