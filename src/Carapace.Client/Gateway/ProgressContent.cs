using System.Net;
using System.Net.Http.Headers;

namespace Carapace.Client.Gateway;

/// <summary>A request body sent in pieces, reporting each piece to <paramref name="progress"/>.</summary>
internal sealed class ProgressContent(byte[] body, string mediaType, IProgress<UploadProgress> progress) : HttpContent
{
    private const int Piece = 256 * 1024;

    public ProgressContent Typed()
    {
        Headers.ContentType = new MediaTypeHeaderValue(mediaType) { CharSet = "utf-8" };
        return this;
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        for (var sent = 0; sent < body.Length;)
        {
            var length = Math.Min(Piece, body.Length - sent);
            await stream.WriteAsync(body.AsMemory(sent, length), cancellationToken).ConfigureAwait(false);
            sent += length;
            progress.Report(new UploadProgress(sent, body.Length));
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = body.Length;
        return true;
    }
}
