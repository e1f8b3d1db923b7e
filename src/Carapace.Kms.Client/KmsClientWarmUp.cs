using System.Buffers.Binary;
using System.IO.Pipes;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Carapace.Attestation;
using Carapace.Attestation.RaTls;
using Carapace.Attestation.Tee;
using Carapace.Envelope.Keys;
using Carapace.Kms.Client.Api;
using Carapace.Kms.Client.Release;
using Carapace.Kms.Client.Secrets;

namespace Carapace.Kms.Client;

/// <summary>
/// Pays most first-use costs of <see cref="KmsClient.AttestAndReleaseAsync"/> in a fresh process (JIT and type loading
/// of the TLS, X.509, RA-TLS, CBOR, JSON and ECDSA/ECDH code, OpenSSL initialisation) by running the trusted steps of
/// one attested release inside this process, with no network and no listening socket: both RA-TLS certificates are
/// made, a TLS handshake with the KMS client's own options and its evidence check runs between two in-process
/// <see cref="SslStream"/>s over a pair of anonymous pipes, and a release sealed to the client's key crosses that
/// channel and is opened and decoded by the code a real release uses.
/// </summary>
/// <remarks>
/// What stays cold is the HTTP layer above TLS (a real release's two requests); warming it would need an HTTP server in
/// the process, which the enclave must not have. Nothing is shared with a real release: the simulated quoting key, both
/// measurements, every key and certificate are fresh and discarded, and the trust made here accepts only that
/// throwaway quoting key. When <see cref="RunAsync"/> returns, both pipes are closed.
/// </remarks>
public static class KmsClientWarmUp
{
    private const string Name = "warm-up";

    /// <summary>The largest message the warm-up's server end sends (a sealed release of one key and one secret).</summary>
    private const int MaxMessageBytes = 64 * 1024;

    private static readonly Uri s_endpoint = new("https://warm-up.invalid/");

    /// <summary>Runs the trusted steps of one attested release in this process, then releases everything it made.</summary>
    /// <exception cref="InvalidOperationException">A step did not end as it does in a real release (a bug).</exception>
    public static async Task RunAsync(CancellationToken cancellationToken = default)
    {
        using var throwaway = TeeBackend.EphemeralSimulation();
        var kmsMeasurement = RandomNumberGenerator.GetBytes(WorkloadBinding.WorkloadSize);
        var functionMeasurement = RandomNumberGenerator.GetBytes(WorkloadBinding.WorkloadSize);
        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var serverCertificate = await RaTlsCertificateFactory.CreateAsync(serverKey, throwaway.IssuerFor(kmsMeasurement),
            RandomNumberGenerator.GetBytes(32), Name, TimeSpan.FromMinutes(5), cancellationToken: cancellationToken).ConfigureAwait(false);

        // The nonce a real release starts with arrives as JSON.
        var nonce = JsonSerializer.Deserialize(JsonSerializer.SerializeToUtf8Bytes(
            new NonceResponse(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), DateTimeOffset.UtcNow.AddMinutes(1)), KmsJson.Default.NonceResponse),
            KmsJson.Default.NonceResponse)!;
        using var clientKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var clientCertificate = await RaTlsCertificateFactory.CreateAsync(clientKey, throwaway.IssuerFor(functionMeasurement),
            Convert.FromBase64String(nonce.Nonce!), "carapace-enclave", KmsClient.ReleaseCertificateValidity, cancellationToken: cancellationToken)
            .ConfigureAwait(false);

        var trust = new KmsServerTrust
        {
            AllowSimulation = true,
            SimulationQuotingKeys = [throwaway.SimulationQuotingKey],
            ExpectedMeasurement = kmsMeasurement,
        };
        var verifier = new KmsServerVerifier(s_endpoint, trust);
        var (clientEnd, serverEnd) = PipePair.Create();
        var client = new SslStream(clientEnd);
        var server = new SslStream(serverEnd);
        await using (client.ConfigureAwait(false))
        await using (server.ConfigureAwait(false))
        {
            var clientOptions = KmsClient.TlsOptions(verifier, clientCertificate);
            clientOptions.TargetHost = s_endpoint.Host;
            var serverOptions = new SslServerAuthenticationOptions
            {
                ServerCertificate = serverCertificate,
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                ClientCertificateRequired = true,
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
                // As the client's options: the client certificate's chain is built against nothing. Without this the
                // stand-in loaded the system's whole root store (about 150 files) into every new cell, for a chain
                // whose verdict the callback ignores.
                CertificateChainPolicy = new X509ChainPolicy
                {
                    TrustMode = X509ChainTrustMode.CustomRootTrust,
                    RevocationMode = X509RevocationMode.NoCheck,
                    DisableCertificateDownloads = true,
                },
            };
            await Task.WhenAll(
                client.AuthenticateAsClientAsync(clientOptions, cancellationToken),
                server.AuthenticateAsServerAsync(serverOptions, cancellationToken)).ConfigureAwait(false);
            if (verifier.Verified is null || server.RemoteCertificate is not { } presented)
            {
                throw new InvalidOperationException($"the warm-up handshake did not verify both ends ({verifier.TakeFailure() ?? "no client certificate"})");
            }

            var sending = SendAsync(server, SealedRelease(presented), cancellationToken);
            var body = await ReceiveAsync(client, cancellationToken).ConfigureAwait(false);
            await sending.ConfigureAwait(false);
            var sealedRelease = JsonSerializer.Deserialize(body, KmsJson.Default.ReleaseResponse)
                ?? throw new InvalidOperationException("the warm-up release is empty");
            using var entitlement = KmsClient.OpenRelease(clientKey, Name, Name, sealedRelease);
            if (entitlement.EdgeKeys.Count != 1 || entitlement.Secrets.Count != 1)
            {
                throw new InvalidOperationException("the warm-up release did not carry the stand-in's key and secret");
            }
        }
    }

    /// <summary>A release of one throwaway edge key and secret, sealed to the key of the client's certificate, as the KMS's JSON.</summary>
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

    /// <summary>Sends <paramref name="body"/> with a 4-byte big-endian length before it.</summary>
    private static async Task SendAsync(Stream stream, byte[] body, CancellationToken cancellationToken)
    {
        var length = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, body.Length);
        await stream.WriteAsync(length, cancellationToken).ConfigureAwait(false);
        await stream.WriteAsync(body, cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Receives one message <see cref="SendAsync"/> sent, of at most <see cref="MaxMessageBytes"/>.</summary>
    private static async Task<byte[]> ReceiveAsync(Stream stream, CancellationToken cancellationToken)
    {
        var length = new byte[4];
        await stream.ReadExactlyAsync(length, cancellationToken).ConfigureAwait(false);
        var size = BinaryPrimitives.ReadInt32BigEndian(length);
        if (size is < 0 or > MaxMessageBytes)
        {
            throw new InvalidOperationException($"the warm-up message announces {size} bytes");
        }

        var body = new byte[size];
        await stream.ReadExactlyAsync(body, cancellationToken).ConfigureAwait(false);
        return body;
    }

    /// <summary>Two connected in-process byte streams over two anonymous pipes (one per direction): no socket, no port.</summary>
    private sealed class PipePair : Stream
    {
        private readonly PipeStream _read;
        private readonly PipeStream _write;

        private PipePair(PipeStream read, PipeStream write)
        {
            _read = read;
            _write = write;
        }

        public override bool CanRead => true;

        public override bool CanWrite => true;

        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public static (Stream A, Stream B) Create()
        {
            var aToB = new AnonymousPipeServerStream(PipeDirection.Out);
            var bFromA = new AnonymousPipeClientStream(PipeDirection.In, aToB.ClientSafePipeHandle);
            var bToA = new AnonymousPipeServerStream(PipeDirection.Out);
            var aFromB = new AnonymousPipeClientStream(PipeDirection.In, bToA.ClientSafePipeHandle);
            return (new PipePair(aFromB, aToB), new PipePair(bFromA, bToA));
        }

        public override int Read(byte[] buffer, int offset, int count) => _read.Read(buffer, offset, count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            _read.ReadAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            _read.ReadAsync(buffer, offset, count, cancellationToken);

        public override void Write(byte[] buffer, int offset, int count) => _write.Write(buffer, offset, count);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            _write.WriteAsync(buffer, cancellationToken);

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            _write.WriteAsync(buffer, offset, count, cancellationToken);

        public override void Flush() => _write.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => _write.FlushAsync(cancellationToken);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _write.Dispose();
                _read.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
