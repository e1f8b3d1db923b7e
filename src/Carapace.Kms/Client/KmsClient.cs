using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Carapace.Attestation;
using Carapace.Attestation.RaTls;
using Carapace.Kms.Api;
using Carapace.Kms.Audit;
using Carapace.Kms.Policy;
using Carapace.Kms.Release;
using Carapace.Kms.Secrets;

namespace Carapace.Kms.Client;

/// <summary>
/// Talks to a <see cref="Server.KmsServer"/> over attested TLS. Every connection first checks the KMS's RA-TLS
/// certificate against the <see cref="KmsServerTrust"/> and fails closed with <see cref="KmsTrustException"/>, so no
/// policy, secret or owner signature ever reaches a KMS that is not the expected code. Owners use it to set policies,
/// change secrets (KmsClient.Secrets.cs) and read the audit log; enclaves use <see cref="AttestAndReleaseAsync"/> to get
/// their keys; clients of a namespace use <see cref="GetChainKeysAsync"/> to get a chain's client-side edge keys.
/// </summary>
/// <remarks>
/// Errors: <see cref="KmsTrustException"/> (the KMS is not trusted), <see cref="KmsDeniedException"/> (a release or
/// secret request was denied, with the KMS's reason and message), <see cref="PolicyException"/> (a policy was rejected,
/// with every error), <see cref="SecretWriteException"/> (a secret write was refused, with every error),
/// <see cref="KmsRequestException"/> (unreachable, unauthenticated, or another error status).
/// </remarks>
public sealed partial class KmsClient : IDisposable
{
    /// <summary>How long the RA-TLS client certificate of a release is valid.</summary>
    public static readonly TimeSpan ReleaseCertificateValidity = TimeSpan.FromMinutes(5);

    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);
    private readonly KmsServerTrust _trust;
    private readonly KmsServerVerifier _verifier;
    private readonly HttpClient _http;

    /// <summary>Creates a client for the KMS at <paramref name="endpoint"/> (its base address, e.g. <c>https://127.0.0.1:43011/</c>).</summary>
    public KmsClient(Uri endpoint, KmsServerTrust trust)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(trust);
        if (!endpoint.IsAbsoluteUri || endpoint.Scheme != Uri.UriSchemeHttps)
        {
            throw new ArgumentException($"the KMS endpoint must be an absolute https:// address, not '{endpoint}'", nameof(endpoint));
        }

        Endpoint = endpoint.AbsoluteUri.EndsWith('/') ? endpoint : new Uri(endpoint.AbsoluteUri + "/");
        _trust = trust;
        _verifier = new KmsServerVerifier(Endpoint, trust);
        _http = NewHttpClient(_verifier, clientCertificate: null);
    }

    /// <summary>The KMS's base address.</summary>
    public Uri Endpoint { get; }

    /// <summary>The KMS's verified evidence (its RA-TLS certificate's result) once a request has connected; null before.</summary>
    public AttestationResult? ServerEvidence => _verifier.Verified;

    /// <summary>Asks for a fresh attestation nonce.</summary>
    public async Task<IssuedNonce> NewNonceAsync(CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, KmsApiPaths.Nonces[1..]) { Content = new ByteArrayContent([]) };
        var (status, body) = await SendAsync(_http, _verifier, request, cancellationToken).ConfigureAwait(false);
        if (status != HttpStatusCode.OK)
        {
            throw Failure(status, body, "issue a nonce");
        }

        var response = Parse(body, KmsJson.Default.NonceResponse);
        return new IssuedNonce(Base64(response.Nonce, "nonce"), response.ExpiresAt);
    }

    /// <summary>
    /// Asks the KMS whether it answers (<c>GET /v1/health</c>, over the attested TLS connection): the cheap probe of
    /// the process that supervises it. Give a short deadline through <paramref name="cancellationToken"/>.
    /// </summary>
    /// <exception cref="KmsRequestException">The KMS cannot be reached or answered with an error status.</exception>
    /// <exception cref="KmsTrustException">The endpoint is not the trusted KMS.</exception>
    public async Task CheckHealthAsync(CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, KmsApiPaths.Health[1..]);
        var (status, body) = await SendAsync(_http, _verifier, request, cancellationToken).ConfigureAwait(false);
        if (status != HttpStatusCode.OK)
        {
            throw Failure(status, body, "report its health");
        }
    }

    /// <summary>Submits a signed policy document (see <see cref="PolicySigner"/>).</summary>
    /// <exception cref="PolicyException">The KMS rejected it; <see cref="PolicyException.Errors"/> lists every reason.</exception>
    public async Task<PolicyUpdate> SetPolicyAsync(byte[] signedPolicy, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(signedPolicy);
        var ns = KmsPolicy.Parse(SignedPolicy.Parse(signedPolicy).PolicyText).Namespace;
        using var request = new HttpRequestMessage(HttpMethod.Put, KmsApiPaths.PolicyOf(ns)) { Content = Json(signedPolicy) };
        var (status, body) = await SendAsync(_http, _verifier, request, cancellationToken).ConfigureAwait(false);
        if (status == HttpStatusCode.OK)
        {
            var r = Parse(body, KmsJson.Default.PolicyUpdateResponse);
            return new PolicyUpdate
            {
                Namespace = r.Namespace ?? ns,
                Version = r.Version,
                PreviousVersion = r.PreviousVersion,
                ApprovedBy = r.ApprovedBy ?? [],
                Ignored = r.Ignored ?? [],
                PolicyHash = r.PolicySha256 ?? "",
            };
        }

        if (TryError(body) is { Reason: { } reason } error && Enum.TryParse<PolicyRejection>(reason, out var rejection))
        {
            throw new PolicyException(rejection, error.Errors is { Count: > 0 } errors ? errors : [error.Message ?? reason]);
        }

        throw Failure(status, body, $"set the policy of namespace '{ns}'");
    }

    /// <summary>The current signed policy document of <paramref name="ns"/>, or null when it has none.</summary>
    public async Task<SignedPolicy?> GetPolicyAsync(string ns, CancellationToken cancellationToken = default)
    {
        CheckName(ns, nameof(ns));
        using var request = new HttpRequestMessage(HttpMethod.Get, KmsApiPaths.PolicyOf(ns));
        var (status, body) = await SendAsync(_http, _verifier, request, cancellationToken).ConfigureAwait(false);
        return status switch
        {
            HttpStatusCode.OK => SignedPolicy.Parse(body),
            HttpStatusCode.NotFound when TryError(body)?.Reason == nameof(KmsDenialReason.UnknownNamespace) => null,
            _ => throw Failure(status, body, $"read the policy of namespace '{ns}'"),
        };
    }

    /// <summary>The audit records of <paramref name="ns"/> (oldest first), read as owner <paramref name="ownerId"/>.</summary>
    public async Task<IReadOnlyList<AuditRecord>> GetAuditAsync(string ns, OwnerKey owner, string ownerId, CancellationToken cancellationToken = default)
    {
        CheckName(ns, nameof(ns));
        using var request = new HttpRequestMessage(HttpMethod.Get, KmsApiPaths.AuditOf(ns));
        SignAsOwner(request, [], owner, ownerId);
        var (status, body) = await SendAsync(_http, _verifier, request, cancellationToken).ConfigureAwait(false);
        if (status != HttpStatusCode.OK)
        {
            throw Failure(status, body, $"read the audit log of namespace '{ns}'");
        }

        return [.. (Parse(body, KmsJson.Default.AuditResponse).Records ?? []).Select(ToRecord)];
    }

    /// <summary>Has the KMS verify its whole audit log (hashes, links, gaps, anchor), asked as owner <paramref name="ownerId"/> of <paramref name="ns"/>.</summary>
    public async Task<AuditVerification> VerifyAuditAsync(string ns, OwnerKey owner, string ownerId, CancellationToken cancellationToken = default)
    {
        CheckName(ns, nameof(ns));
        using var request = new HttpRequestMessage(HttpMethod.Get, KmsApiPaths.AuditVerifyOf(ns));
        SignAsOwner(request, [], owner, ownerId);
        var (status, body) = await SendAsync(_http, _verifier, request, cancellationToken).ConfigureAwait(false);
        if (status != HttpStatusCode.OK)
        {
            throw Failure(status, body, "verify the audit log");
        }

        var r = Parse(body, KmsJson.Default.AuditVerificationResponse);
        return new AuditVerification
        {
            Records = r.Records,
            Head = r.HeadSeq is { } seq && r.HeadHash is { } hash ? new AuditHead(seq, hash) : null,
            FirstBadSeq = r.FirstBadSeq,
            Fault = r.Fault is { } fault && Enum.TryParse<AuditFault>(fault, out var f) ? f : r.Intact ? null : AuditFault.Malformed,
            Message = r.Message ?? "",
        };
    }

    /// <summary>
    /// The client-side edge keys of chain <paramref name="chain"/> of <paramref name="ns"/>, asked for as client
    /// <paramref name="clientId"/> of the namespace's policy (its <c>clients</c>) with a request signed by
    /// <paramref name="clientKey"/>: <see cref="ChainKeys.Entry"/> to seal the chain's input, <see cref="ChainKeys.Exit"/> to
    /// open its output, <see cref="ChainKeys.Log"/> to open each step's log. They travel only over this client's attested
    /// TLS channel. Dispose the result after use to zero the keys.
    /// </summary>
    /// <exception cref="KmsDeniedException">The KMS denied the request: <see cref="KmsDenialReason.UnknownNamespace"/>,
    /// <see cref="KmsDenialReason.UnknownChain"/>, <see cref="KmsDenialReason.UnknownClient"/>,
    /// <see cref="KmsDenialReason.MissingSignature"/>, <see cref="KmsDenialReason.BadSignature"/> (another key than the
    /// client's in the policy) or <see cref="KmsDenialReason.StaleSignature"/> (this machine's clock is more than
    /// <see cref="OwnerRequestSignature.MaxClockSkew"/> off); the message is the KMS's.</exception>
    /// <exception cref="KmsRequestException">The KMS cannot be reached, answered another error, or sent keys this client cannot read or did not ask for.</exception>
    /// <exception cref="KmsTrustException">The KMS is not trusted.</exception>
    public async Task<ChainKeys> GetChainKeysAsync(string ns, string chain, OwnerKey clientKey, string clientId, CancellationToken cancellationToken = default)
    {
        CheckName(ns, nameof(ns));
        CheckName(chain, nameof(chain));
        var content = JsonSerializer.SerializeToUtf8Bytes(new ClientKeysRequest(ns, chain), KmsJson.Default.ClientKeysRequest);
        using var request = new HttpRequestMessage(HttpMethod.Post, KmsApiPaths.ClientKeys[1..]) { Content = Json(content) };
        Sign(request, content, clientKey, OwnerRequestSignature.ClientHeader, clientId, nameof(clientId));
        var (status, body) = await SendAsync(_http, _verifier, request, cancellationToken).ConfigureAwait(false);
        try
        {
            if (status != HttpStatusCode.OK)
            {
                throw Failure(status, body, $"release the client keys of chain '{chain}' of namespace '{ns}'", unauthenticatedIsDenial: true);
            }

            ChainKeys keys;
            try
            {
                keys = ChainKeysCodec.Decode(body);
            }
            catch (InvalidDataException e)
            {
                throw new KmsRequestException($"the KMS at {Endpoint} sent client keys this client cannot read ({e.Message})", status, inner: e);
            }

            if (keys.Namespace != ns || keys.Chain != chain)
            {
                keys.Dispose();
                throw new KmsRequestException($"the KMS at {Endpoint} sent the client keys of another namespace or chain than asked", status);
            }

            return keys;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(body);
        }
    }

    /// <summary>
    /// Attested key release, as an enclave does it: gets a nonce, makes a fresh P-256 key and an RA-TLS certificate over
    /// it with evidence from <paramref name="issuer"/> binding the nonce, connects anew presenting that certificate (still
    /// verifying the KMS), asks for <paramref name="function"/>'s entitlement in <paramref name="ns"/> and opens the
    /// response, which the KMS sealed to the fresh key. The key is discarded afterwards. Dispose the entitlement after use.
    /// </summary>
    /// <exception cref="KmsDeniedException">The KMS denied the release; <see cref="KmsDeniedException.Reason"/> and the message are the KMS's.</exception>
    /// <exception cref="AttestationException">The issuer cannot produce evidence.</exception>
    public async Task<Entitlement> AttestAndReleaseAsync(string ns, string function, IEvidenceIssuer issuer, CancellationToken cancellationToken = default)
    {
        CheckName(ns, nameof(ns));
        CheckName(function, nameof(function));
        ArgumentNullException.ThrowIfNull(issuer);
        var nonce = await NewNonceAsync(cancellationToken).ConfigureAwait(false);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = await RaTlsCertificateFactory.CreateAsync(key, issuer, nonce.Value, "carapace-enclave", ReleaseCertificateValidity,
            _trust.TimeProvider, cancellationToken).ConfigureAwait(false);
        return await ReleaseWithCertificateAsync(ns, function, key, certificate, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Disposes the connection pool.</summary>
    public void Dispose() => _http.Dispose();

    /// <summary>The release request over a new connection presenting <paramref name="certificate"/> (made for <paramref name="key"/>).</summary>
    internal async Task<Entitlement> ReleaseWithCertificateAsync(string ns, string function, ECDsa key, X509Certificate2? certificate, CancellationToken cancellationToken)
    {
        var verifier = new KmsServerVerifier(Endpoint, _trust);
        using var http = NewHttpClient(verifier, certificate);
        using var request = new HttpRequestMessage(HttpMethod.Post, KmsApiPaths.Release[1..])
        {
            Content = Json(JsonSerializer.SerializeToUtf8Bytes(new ReleaseRequest(ns, function), KmsJson.Default.ReleaseRequest)),
        };
        var (status, body) = await SendAsync(http, verifier, request, cancellationToken).ConfigureAwait(false);
        if (status != HttpStatusCode.OK)
        {
            throw Failure(status, body, $"release the keys of function '{function}' of namespace '{ns}'");
        }

        var sealedRelease = Parse(body, KmsJson.Default.ReleaseResponse);
        var parameters = key.ExportParameters(includePrivateParameters: true);
        byte[]? plaintext = null;
        try
        {
            using var agreement = ECDiffieHellman.Create(parameters);
            plaintext = ReleaseSealing.Open(agreement, ns, function, sealedRelease);
            var entitlement = EntitlementCodec.Decode(plaintext);
            if (entitlement.Namespace != ns || entitlement.Function != function)
            {
                entitlement.Dispose();
                throw new KmsRequestException($"the KMS at {Endpoint} released keys for another namespace or function than asked", status);
            }

            return entitlement;
        }
        catch (Exception e) when (e is CryptographicException or FormatException or InvalidDataException)
        {
            throw new KmsRequestException($"the release from the KMS at {Endpoint} cannot be opened with this enclave's key: {e.Message}", status, inner: e);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(parameters.D);
            if (plaintext is not null)
            {
                CryptographicOperations.ZeroMemory(plaintext);
            }
        }
    }

    private HttpClient NewHttpClient(KmsServerVerifier verifier, X509Certificate2? clientCertificate)
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            SslOptions = new SslClientAuthenticationOptions
            {
                // The KMS's identity is its attested measurement, not a host name or a CA.
                RemoteCertificateValidationCallback = (_, certificate, _, _) => verifier.Validate(certificate),
                // So the chain the TLS stack builds before that callback (whose verdict the callback ignores) is built
                // against nothing: no system root store to load, no download, no revocation lookup per connection.
                CertificateChainPolicy = new X509ChainPolicy
                {
                    TrustMode = X509ChainTrustMode.CustomRootTrust,
                    RevocationMode = X509RevocationMode.NoCheck,
                    DisableCertificateDownloads = true,
                },
            },
        };
        if (clientCertificate is not null)
        {
            handler.SslOptions.ClientCertificates = [clientCertificate];
            handler.SslOptions.LocalCertificateSelectionCallback = (_, _, _, _, _) => clientCertificate;
        }

        return new HttpClient(handler, disposeHandler: true)
        {
            BaseAddress = Endpoint,
            Timeout = s_timeout,
            MaxResponseContentBufferSize = KmsApiPaths.MaxResponseBytes,
        };
    }

    private async Task<(HttpStatusCode Status, byte[] Body)> SendAsync(HttpClient http, KmsServerVerifier verifier, HttpRequestMessage request,
        CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            return (response.StatusCode, body);
        }
        catch (HttpRequestException e) when (verifier.TakeFailure() is { } failure)
        {
            throw new KmsTrustException(failure, e);
        }
        catch (HttpRequestException e)
        {
            throw new KmsRequestException($"cannot reach the KMS at {Endpoint}: {e.Message}", inner: e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new KmsRequestException($"the KMS at {Endpoint} did not answer within {http.Timeout.TotalSeconds:0} s", inner: e);
        }
    }

    private void SignAsOwner(HttpRequestMessage request, ReadOnlySpan<byte> body, OwnerKey owner, string ownerId) =>
        Sign(request, body, owner, OwnerRequestSignature.OwnerHeader, ownerId, nameof(ownerId));

    /// <summary>Adds the signer, time and signature headers of <see cref="OwnerRequestSignature"/>, the signer named in <paramref name="signerHeader"/>.</summary>
    private void Sign(HttpRequestMessage request, ReadOnlySpan<byte> body, OwnerKey key, string signerHeader, string signerId, string parameter)
    {
        ArgumentNullException.ThrowIfNull(key);
        CheckName(signerId, parameter);
        var target = new Uri(Endpoint, request.RequestUri!).PathAndQuery;
        var time = _trust.TimeProvider.GetUtcNow().ToUnixTimeSeconds();
        request.Headers.Add(signerHeader, signerId);
        request.Headers.Add(OwnerRequestSignature.TimeHeader, time.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add(OwnerRequestSignature.SignatureHeader, OwnerRequestSignature.Sign(key, request.Method.Method, target, time, body));
    }

    /// <summary>
    /// The exception for an error answer: a denial when the reason is a <see cref="KmsDenialReason"/> (of a 403, 404 or
    /// 429 answer, or also of a 401 one when <paramref name="unauthenticatedIsDenial"/>), a request failure otherwise.
    /// </summary>
    private Exception Failure(HttpStatusCode status, byte[] body, string what, bool unauthenticatedIsDenial = false)
    {
        var error = TryError(body);
        var message = error?.Message ?? $"the KMS at {Endpoint} answered {(int)status} {status} when asked to {what}";
        if (error?.Reason is { } reason && Enum.TryParse<KmsDenialReason>(reason, out var denial)
            && (status is HttpStatusCode.Forbidden or HttpStatusCode.NotFound or HttpStatusCode.TooManyRequests
                || (unauthenticatedIsDenial && status == HttpStatusCode.Unauthorized)))
        {
            return new KmsDeniedException(denial, message);
        }

        return new KmsRequestException(message, status, error?.Reason);
    }

    private static ErrorResponse? TryError(byte[] body)
    {
        try
        {
            return body.Length == 0 ? null : JsonSerializer.Deserialize(body, KmsJson.Default.ErrorResponse);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private T Parse<T>(byte[] body, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
    {
        try
        {
            return JsonSerializer.Deserialize(body, type) ?? throw new JsonException("null");
        }
        catch (JsonException e)
        {
            throw new KmsRequestException($"the KMS at {Endpoint} sent a response this client cannot read ({e.Message})", inner: e);
        }
    }

    private byte[] Base64(string? text, string field)
    {
        try
        {
            return Convert.FromBase64String(text ?? throw new FormatException());
        }
        catch (FormatException e)
        {
            throw new KmsRequestException($"the KMS at {Endpoint} sent a response whose '{field}' is not base64", inner: e);
        }
    }

    private static AuditRecord ToRecord(AuditRecordResponse r) => new(
        r.Seq,
        r.Time,
        Enum.TryParse<AuditKind>(r.Kind, out var kind) ? kind : throw new KmsRequestException($"the KMS sent an audit record of unknown kind '{r.Kind}'"),
        r.Namespace ?? "",
        r.Subject ?? "",
        r.Details ?? "{}",
        Convert.FromHexString(r.PreviousHash ?? ""),
        Convert.FromHexString(r.Hash ?? ""));

    private static ByteArrayContent Json(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        return content;
    }

    private static void CheckName(string value, string parameter)
    {
        ArgumentNullException.ThrowIfNull(value, parameter);
        if (!PolicyNames.IsValid(value))
        {
            throw new ArgumentException($"'{value}' {PolicyNames.Rule}", parameter);
        }
    }
}
