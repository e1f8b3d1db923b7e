using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Carapace.Gateway.Tests.Support;

/// <summary>
/// A TLS connection to the gateway that writes exactly the bytes a test gives (malformed requests, bodies that stop
/// half-way) and reads whatever comes back until the server closes — or a bounded wait ends.
/// </summary>
internal sealed class RawClient : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly SslStream _tls;

    private RawClient(TcpClient tcp, SslStream tls)
    {
        _tcp = tcp;
        _tls = tls;
    }

    public static async Task<RawClient> ConnectAsync(GatewayFixture gateway)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(gateway.Host.Endpoint.Host, gateway.Host.Endpoint.Port);
        var thumbprint = gateway.Certificate.GetCertHashString(HashAlgorithmName.SHA256);
        var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false,
            (_, certificate, _, _) => certificate is not null && certificate.GetCertHashString(HashAlgorithmName.SHA256) == thumbprint);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "127.0.0.1",
            ApplicationProtocols = [SslApplicationProtocol.Http11],
        });
        return new RawClient(tcp, tls);
    }

    public async Task SendAsync(string text)
    {
        await _tls.WriteAsync(Encoding.ASCII.GetBytes(text));
        await _tls.FlushAsync();
    }

    /// <summary>Everything the server sends until it closes the connection, or until <paramref name="wait"/> ends.</summary>
    public async Task<RawResponse> ReadToCloseAsync(TimeSpan wait)
    {
        using var timeout = new CancellationTokenSource(wait);
        var received = new MemoryStream();
        var buffer = new byte[8192];
        try
        {
            int read;
            while ((read = await _tls.ReadAsync(buffer, timeout.Token)) > 0)
            {
                received.Write(buffer, 0, read);
            }
        }
        catch (OperationCanceledException)
        {
            // The bounded wait ended: return what came.
        }
        catch (IOException)
        {
            // The server reset the connection after answering.
        }

        return RawResponse.Parse(Encoding.UTF8.GetString(received.ToArray()));
    }

    public async ValueTask DisposeAsync()
    {
        await _tls.DisposeAsync();
        _tcp.Dispose();
    }
}

/// <summary>An HTTP/1.1 response as text: status, headers and body.</summary>
internal sealed record RawResponse(int Status, IReadOnlyDictionary<string, string> Headers, string Body, string Raw)
{
    public static RawResponse Parse(string raw)
    {
        var end = raw.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (!raw.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) || end < 0)
        {
            return new RawResponse(0, new Dictionary<string, string>(), "", raw);
        }

        var lines = raw[..end].Split("\r\n");
        var headers = lines.Skip(1).Select(l => l.Split(':', 2)).ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.OrdinalIgnoreCase);
        var body = raw[(end + 4)..];
        if (headers.TryGetValue("Transfer-Encoding", out var coding) && coding == "chunked")
        {
            body = Dechunk(body);
        }

        return new RawResponse(int.Parse(lines[0].AsSpan(9, 3), System.Globalization.CultureInfo.InvariantCulture), headers, body, raw);
    }

    private static string Dechunk(string chunked)
    {
        var body = new System.Text.StringBuilder();
        var at = 0;
        while (at < chunked.Length)
        {
            var lineEnd = chunked.IndexOf("\r\n", at, StringComparison.Ordinal);
            if (lineEnd < 0)
            {
                break;
            }

            var size = Convert.ToInt32(chunked[at..lineEnd].Split(';')[0], 16);
            if (size == 0 || lineEnd + 2 + size > chunked.Length)
            {
                break;
            }

            body.Append(chunked, lineEnd + 2, size);
            at = lineEnd + 2 + size + 2;
        }

        return body.ToString();
    }
}
