using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Carapace.Attestation;
using Carapace.Attestation.RaTls;
using Carapace.Attestation.Tee;
using Carapace.Envelope.Keys;
using Carapace.Kms.Api;
using Carapace.Kms.Release;
using Carapace.Kms.Secrets;

namespace Carapace.Kms.Client;

/// <summary>
/// Pays the first-use costs of <see cref="KmsClient.AttestAndReleaseAsync"/> in a fresh process (JIT and type loading of
/// the HTTP, TLS, X.509, CBOR, JSON and ECDSA/ECDH code, OpenSSL initialisation) by running one complete attested release
/// against a throwaway stand-in of the KMS on a loopback port, so that the first real release costs only its own work.
/// </summary>
/// <remarks>
/// Nothing is shared with a real release: the stand-in's simulated quoting key, both measurements, every key and
/// certificate are fresh and discarded, and the client made here trusts only that throwaway quoting key. The stand-in
/// accepts exactly the two connections of one release (nonce, then release with the RA-TLS client certificate) and
/// answers with <c>Connection: close</c>; when <see cref="RunAsync"/> returns, its listener is closed and every
/// connection of both ends is gone.
/// </remarks>
public static class KmsClientWarmUp
{
    private const string Name = "warm-up";
    private const int MaxRequestBytes = 64 * 1024;

    /// <summary>Runs one attested release against a loopback stand-in of the KMS, then releases everything it made.</summary>
    /// <exception cref="InvalidOperationException">The release did not complete as a real one would (a bug).</exception>
    /// <exception cref="SocketException">No loopback port can be opened here.</exception>
    public static async Task RunAsync(CancellationToken cancellationToken = default)
    {
        using var throwaway = TeeBackend.EphemeralSimulation();
        var kmsMeasurement = RandomNumberGenerator.GetBytes(WorkloadBinding.WorkloadSize);
        var functionMeasurement = RandomNumberGenerator.GetBytes(WorkloadBinding.WorkloadSize);
        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var serverCertificate = await RaTlsCertificateFactory.CreateAsync(serverKey, throwaway.IssuerFor(kmsMeasurement),
            RandomNumberGenerator.GetBytes(32), Name, TimeSpan.FromMinutes(5), cancellationToken: cancellationToken).ConfigureAwait(false);

        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start(backlog: 2);
        try
        {
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            var server = ServeOneReleaseAsync(listener, serverCertificate, cancellationToken);
            var trust = new KmsServerTrust
            {
                AllowSimulation = true,
                SimulationQuotingKeys = [throwaway.SimulationQuotingKey],
                ExpectedMeasurement = kmsMeasurement,
            };
            try
            {
                using var client = new KmsClient(new Uri($"https://127.0.0.1:{port}/"), trust);
                using var entitlement = await client.AttestAndReleaseAsync(Name, Name, throwaway.IssuerFor(functionMeasurement), cancellationToken)
                    .ConfigureAwait(false);
                if (entitlement.EdgeKeys.Count != 1 || entitlement.Secrets.Count != 1)
                {
                    throw new InvalidOperationException("the warm-up release did not carry the stand-in's key and secret");
                }
            }
            finally
            {
                listener.Stop();
                await server.ConfigureAwait(false);
            }
        }
        finally
        {
            listener.Dispose();
        }
    }

    /// <summary>Answers the nonce request and the release request, one connection each, as the KMS would.</summary>
    private static async Task ServeOneReleaseAsync(TcpListener listener, X509Certificate2 certificate, CancellationToken cancellationToken)
    {
        for (var i = 0; i < 2; i++)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptSocketAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                return; // The client gave up (its error is the one that matters) and the listener was stopped.
            }

            var ssl = new SslStream(new NetworkStream(socket, ownsSocket: true));
            await using (ssl.ConfigureAwait(false))
            {
                try
                {
                    await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                    {
                        ServerCertificate = certificate,
                        EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                        ClientCertificateRequired = true,
                        RemoteCertificateValidationCallback = (_, _, _, _) => true,
                    }, cancellationToken).ConfigureAwait(false);
                    var path = await ReadRequestAsync(ssl, cancellationToken).ConfigureAwait(false);
                    var body = path switch
                    {
                        KmsApiPaths.Nonces => JsonSerializer.SerializeToUtf8Bytes(
                            new NonceResponse(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), DateTimeOffset.UtcNow.AddMinutes(1)),
                            KmsJson.Default.NonceResponse),
                        KmsApiPaths.Release when ssl.RemoteCertificate is { } client => SealedRelease(client),
                        _ => throw new InvalidOperationException($"the warm-up client asked for '{path}'"),
                    };
                    var head = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n");
                    await ssl.WriteAsync(head, cancellationToken).ConfigureAwait(false);
                    await ssl.WriteAsync(body, cancellationToken).ConfigureAwait(false);
                    await ssl.FlushAsync(cancellationToken).ConfigureAwait(false);
                    await ssl.ShutdownAsync().ConfigureAwait(false);
                }
                catch (Exception e) when (e is IOException or AuthenticationException or SocketException)
                {
                    return; // The client's own error says what went wrong.
                }
            }
        }
    }

    /// <summary>Reads one HTTP/1.1 request (head and Content-Length body) and returns its path.</summary>
    private static async Task<string> ReadRequestAsync(Stream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxRequestBytes];
        var length = 0;
        int headEnd;
        while ((headEnd = buffer.AsSpan(0, length).IndexOf("\r\n\r\n"u8)) < 0)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
            length += read > 0 ? read : throw new IOException("the warm-up client closed the connection mid-request");
        }

        var head = Encoding.ASCII.GetString(buffer, 0, headEnd).Split("\r\n");
        var contentLength = head.Skip(1)
            .Select(line => line.Split(':', 2))
            .Where(field => field.Length == 2 && field[0].Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            .Select(field => int.Parse(field[1], System.Globalization.CultureInfo.InvariantCulture))
            .FirstOrDefault();
        while (length < headEnd + 4 + contentLength)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
            length += read > 0 ? read : throw new IOException("the warm-up client closed the connection mid-body");
        }

        return head[0].Split(' ')[1];
    }

    /// <summary>A release of one throwaway edge key and secret, sealed to the key of the client's certificate.</summary>
    private static byte[] SealedRelease(X509Certificate presented)
    {
        using var certificate = X509CertificateLoader.LoadCertificate(presented.GetRawCertData());
        var key = RandomNumberGenerator.GetBytes(EdgeKey.Size);
        using var entitlement = new Entitlement(Name, Name, 1, EvidenceKind.Simulation, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)),
            [new SecretValue(Name, Name, 1, RandomNumberGenerator.GetBytes(16))], [new ChainStep(Name, 1, 1)], [EdgeKey.FromBytes(key, Name, 0, 1)]);
        CryptographicOperations.ZeroMemory(key);
        var plaintext = EntitlementCodec.Encode(entitlement);
        try
        {
            var sealedRelease = ReleaseSealing.Seal(certificate.PublicKey.ExportSubjectPublicKeyInfo(), Name, Name, plaintext);
            return JsonSerializer.SerializeToUtf8Bytes(sealedRelease, KmsJson.Default.ReleaseResponse);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }
}
