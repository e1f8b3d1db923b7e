using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Carapace.Attestation;
using Carapace.Kms.Api;
using Carapace.Kms.Policy;
using Carapace.Kms.Release;
using Carapace.Kms.Secrets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Carapace.Kms.Server;

/// <summary>
/// The KMS's HTTP API under <c>/v1</c> (JSON; documented in docs/attestation.md). Every handler answers errors with
/// <c>{reason, message}</c> and never echoes a request body; expected failures are answered, not thrown.
/// </summary>
internal sealed partial class KmsEndpoints(KmsService kms, ILogger logger, TimeProvider time)
{
    private const int MaxAuditRecords = 10_000;
    private readonly SignedRequestAuthenticator _signers = new(kms.Policies, time);

    public void Map(IEndpointRouteBuilder routes)
    {
        routes.MapPost(KmsApiPaths.Nonces, context => Guard(context, IssueNonceAsync));
        routes.MapPut(KmsApiPaths.Policies, context => Guard(context, SetPolicyAsync));
        routes.MapGet(KmsApiPaths.Policies, context => Guard(context, GetPolicyAsync));
        MapSecrets(routes);
        routes.MapGet(KmsApiPaths.Audit, context => Guard(context, GetAuditAsync));
        routes.MapGet(KmsApiPaths.AuditVerify, context => Guard(context, VerifyAuditAsync));
        routes.MapPost(KmsApiPaths.Release, context => Guard(context, ReleaseAsync));
        routes.MapPost(KmsApiPaths.ClientKeys, context => Guard(context, ClientKeysAsync));
        routes.MapGet(KmsApiPaths.Health, HealthAsync);
    }

    /// <summary>
    /// <c>GET /v1/health</c>: a cheap liveness answer (no database, no signature) for the process that supervises the
    /// KMS; that it answers over the attested TLS connection at all is the point.
    /// </summary>
    private static Task HealthAsync(HttpContext context) => HttpIo.WriteJsonAsync(context, StatusCodes.Status200OK, """{"status":"ok"}"""u8.ToArray());

    private async Task Guard(HttpContext context, Func<HttpContext, Task> handler)
    {
        try
        {
            await handler(context).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nothing to answer.
        }
        catch (PolicyException e) when (e.Reason == PolicyRejection.Tampered)
        {
            await Refuse(context, StatusCodes.Status500InternalServerError, "Tampered", e.Message).ConfigureAwait(false);
        }
        catch (SecretStoreException e)
        {
            await Refuse(context, StatusCodes.Status500InternalServerError, e.Error.ToString(), e.Message).ConfigureAwait(false);
        }
        catch (InvalidDataException e)
        {
            await Refuse(context, StatusCodes.Status500InternalServerError, "AuditDamaged", e.Message).ConfigureAwait(false);
        }
        catch (Exception e) when (Storage.StorageFull.IsCause(e) && !context.Response.HasStarted)
        {
            // SQLite rolled the request's transaction back: nothing was stored, released or audited.
            await Refuse(context, StatusCodes.Status507InsufficientStorage, "StorageFull",
                "the KMS's disk is full, so it could not record this request and nothing was changed or released "
                + "(the KMS records and audits every change and release before it takes effect); free space on the KMS's data disk and retry")
                .ConfigureAwait(false);
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            KmsServerLog.RequestFailed(logger, context.Request.Method, context.Request.Path, e);
            await HttpIo.WriteErrorAsync(context, StatusCodes.Status500InternalServerError, "InternalError",
                "the KMS failed to handle the request; its log says why").ConfigureAwait(false);
        }
    }

    private async Task IssueNonceAsync(HttpContext context)
    {
        IssuedNonce nonce;
        try
        {
            nonce = kms.IssueNonce();
        }
        catch (KmsDeniedException e)
        {
            await Refuse(context, StatusCodes.Status429TooManyRequests, e.Reason.ToString(), e.Message).ConfigureAwait(false);
            return;
        }

        await HttpIo.WriteJsonAsync(context, StatusCodes.Status200OK,
            new NonceResponse(Convert.ToBase64String(nonce.Value.Span), nonce.ExpiresAt), KmsJson.Default.NonceResponse).ConfigureAwait(false);
    }

    private async Task SetPolicyAsync(HttpContext context)
    {
        if (RouteName(context, "ns") is not { } ns)
        {
            await BadName(context, "namespace").ConfigureAwait(false);
            return;
        }

        var body = await HttpIo.ReadBodyAsync(context.Request, KmsApiPaths.MaxRequestBytes, context.RequestAborted).ConfigureAwait(false);
        if (body is null)
        {
            await TooLarge(context).ConfigureAwait(false);
            return;
        }

        if (NamespaceOf(body) is { } named && named != ns)
        {
            await Refuse(context, StatusCodes.Status400BadRequest, "NamespaceMismatch",
                $"the signed policy is for namespace '{named}' but was sent to /v1/policies/{ns}").ConfigureAwait(false);
            return;
        }

        PolicyUpdate update;
        try
        {
            update = kms.SetPolicy(body);
        }
        catch (PolicyException e) when (e.Reason != PolicyRejection.Tampered)
        {
            KmsServerLog.PolicyRejected(logger, e.Reason.ToString(), e.Message);
            var status = e.Reason switch
            {
                PolicyRejection.InsufficientApprovals => StatusCodes.Status403Forbidden,
                PolicyRejection.Rollback => StatusCodes.Status409Conflict,
                _ => StatusCodes.Status400BadRequest,
            };
            await HttpIo.WriteErrorAsync(context, status, e.Reason.ToString(), e.Message, e.Errors).ConfigureAwait(false);
            return;
        }

        KmsServerLog.PolicyAccepted(logger, update.Namespace, update.Version, string.Join(", ", update.ApprovedBy));
        await HttpIo.WriteJsonAsync(context, StatusCodes.Status200OK,
            new PolicyUpdateResponse(update.Namespace, update.Version, update.PreviousVersion, update.ApprovedBy, update.Ignored, update.PolicyHash),
            KmsJson.Default.PolicyUpdateResponse).ConfigureAwait(false);
    }

    private async Task GetPolicyAsync(HttpContext context)
    {
        if (RouteName(context, "ns") is not { } ns)
        {
            await BadName(context, "namespace").ConfigureAwait(false);
            return;
        }

        if (kms.GetPolicy(ns) is not { } stored)
        {
            await HttpIo.WriteErrorAsync(context, StatusCodes.Status404NotFound, "UnknownNamespace", $"namespace '{ns}' has no policy").ConfigureAwait(false);
            return;
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.Body.WriteAsync(stored.Document.ToJson(), context.RequestAborted).ConfigureAwait(false);
    }

    private async Task GetAuditAsync(HttpContext context)
    {
        if (await OwnerOfQueriedNamespace(context).ConfigureAwait(false) is not { } ns)
        {
            return;
        }

        var records = new List<AuditRecordResponse>();
        var after = 0L;
        while (records.Count < MaxAuditRecords)
        {
            var page = kms.Audit.Read(after, 1000);
            if (page.Count == 0)
            {
                break;
            }

            foreach (var r in page.Where(r => r.Namespace == ns).Take(MaxAuditRecords - records.Count))
            {
                records.Add(new AuditRecordResponse(r.Seq, r.Time, r.Kind.ToString(), r.Namespace, r.Subject, r.Details,
                    Convert.ToHexStringLower(r.PreviousHash.Span), Convert.ToHexStringLower(r.Hash.Span)));
            }

            after = page[^1].Seq;
        }

        await HttpIo.WriteJsonAsync(context, StatusCodes.Status200OK, new AuditResponse(records), KmsJson.Default.AuditResponse).ConfigureAwait(false);
    }

    private async Task VerifyAuditAsync(HttpContext context)
    {
        if (await OwnerOfQueriedNamespace(context).ConfigureAwait(false) is null)
        {
            return;
        }

        var v = kms.Audit.Verify();
        await HttpIo.WriteJsonAsync(context, StatusCodes.Status200OK,
            new AuditVerificationResponse(v.IsIntact, v.Records, v.Head?.Seq, v.Head?.Hash, v.FirstBadSeq, v.Fault?.ToString(), v.Message),
            KmsJson.Default.AuditVerificationResponse).ConfigureAwait(false);
    }

    private async Task ReleaseAsync(HttpContext context)
    {
        var certificate = context.Connection.ClientCertificate
            ?? await context.Connection.GetClientCertificateAsync(context.RequestAborted).ConfigureAwait(false);
        if (certificate is null)
        {
            await Refuse(context, StatusCodes.Status401Unauthorized, "NoClientCertificate",
                "attested key release needs a TLS client certificate: an RA-TLS certificate over a fresh key whose evidence binds a nonce from POST /v1/nonces")
                .ConfigureAwait(false);
            return;
        }

        if (await ReadNamedRequestAsync(context, KmsJson.Default.ReleaseRequest, "release", "function", r => (r.Namespace, r.Function)).ConfigureAwait(false)
            is not (_, var ns, var function))
        {
            return;
        }

        var enclaveKey = certificate.PublicKey.ExportSubjectPublicKeyInfo();
        Entitlement entitlement;
        try
        {
            entitlement = kms.ReleaseOverRaTls(ns, function, certificate.RawData, enclaveKey);
        }
        catch (KmsDeniedException e)
        {
            KmsServerLog.ReleaseDenied(logger, ns, function, e.Reason.ToString(), e.Message);
            await HttpIo.WriteErrorAsync(context, StatusCodes.Status403Forbidden, e.Reason.ToString(), e.Message).ConfigureAwait(false);
            return;
        }

        ReleaseResponse sealedRelease;
        using (entitlement)
        {
            var plaintext = EntitlementCodec.Encode(entitlement);
            try
            {
                sealedRelease = ReleaseSealing.Seal(enclaveKey, ns, function, plaintext);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(plaintext);
            }

            KmsServerLog.Released(logger, ns, function, EvidenceKinds.Name(entitlement.EvidenceKind), entitlement.Measurement,
                entitlement.Secrets.Count, entitlement.EdgeKeys.Count);
        }

        await HttpIo.WriteJsonAsync(context, StatusCodes.Status200OK, sealedRelease, KmsJson.Default.ReleaseResponse).ConfigureAwait(false);
    }

    /// <summary>
    /// <c>POST /v1/client-keys</c>: the client edges of a chain to a client of its namespace, whose signed request names
    /// it in <c>Carapace-Client</c>. Every refusal after the body is read is a denial, audited and answered with its reason.
    /// </summary>
    private async Task ClientKeysAsync(HttpContext context)
    {
        if (await ReadNamedRequestAsync(context, KmsJson.Default.ClientKeysRequest, "client-keys", "chain", r => (r.Namespace, r.Chain)).ConfigureAwait(false)
            is not (var body, var ns, var chain))
        {
            return;
        }

        var client = _signers.Check(context, ns, body, RequestSigner.Client);
        if (client.SignerId is null)
        {
            var denial = client.ToDenial();
            kms.ClientKeys.RecordDenial(ns, chain, client.Claimed, denial);
            await DenyClientKeys(context, ns, chain, client.Status, denial).ConfigureAwait(false);
            return;
        }

        ChainKeys keys;
        try
        {
            keys = kms.ClientKeys.Release(ns, chain, client.SignerId);
        }
        catch (KmsDeniedException e)
        {
            var status = e.Reason == KmsDenialReason.UnknownClient ? StatusCodes.Status403Forbidden : StatusCodes.Status404NotFound;
            await DenyClientKeys(context, ns, chain, status, e).ConfigureAwait(false);
            return;
        }

        using (keys)
        {
            var json = ChainKeysCodec.Encode(keys);
            try
            {
                await HttpIo.WriteJsonAsync(context, StatusCodes.Status200OK, json).ConfigureAwait(false);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(json);
            }

            KmsServerLog.ClientKeysReleased(logger, ns, chain, keys.Steps, keys.PolicyVersion, client.SignerId);
        }
    }

    private Task DenyClientKeys(HttpContext context, string ns, string chain, int status, KmsDeniedException denial)
    {
        KmsServerLog.ClientKeysDenied(logger, ns, chain, status, denial.Reason.ToString(), denial.Message);
        return HttpIo.WriteErrorAsync(context, status, denial.Reason.ToString(), denial.Message);
    }

    /// <summary>
    /// Reads a JSON request body naming a namespace and one more name (<paramref name="field"/>); answers 413 or 400
    /// <c>BadJson</c> and returns null when it is too large, not that JSON object, or a name breaks the rule.
    /// </summary>
    private async Task<(byte[] Body, string Namespace, string Name)?> ReadNamedRequestAsync<T>(HttpContext context, JsonTypeInfo<T> type, string what,
        string field, Func<T, (string? Namespace, string? Name)> names)
    {
        var body = await HttpIo.ReadBodyAsync(context.Request, KmsApiPaths.MaxRequestBytes, context.RequestAborted).ConfigureAwait(false);
        if (body is null)
        {
            await TooLarge(context).ConfigureAwait(false);
            return null;
        }

        T? request;
        try
        {
            request = JsonSerializer.Deserialize(body, type);
        }
        catch (JsonException e)
        {
            await Refuse(context, StatusCodes.Status400BadRequest, "BadJson",
                $"the {what} request is not the JSON object {{\"namespace\": …, \"{field}\": …}} ({e.Message})").ConfigureAwait(false);
            return null;
        }

        if (request is null || names(request) is not ({ } ns, { } name) || !PolicyNames.IsValid(ns) || !PolicyNames.IsValid(name))
        {
            await Refuse(context, StatusCodes.Status400BadRequest, "BadJson",
                $"the {what} request needs \"namespace\" and \"{field}\", each of which {PolicyNames.Rule}").ConfigureAwait(false);
            return null;
        }

        return (body, ns, name);
    }

    /// <summary>The <c>namespace</c> query parameter when the request is signed by one of its owners; otherwise answers and returns null.</summary>
    private async Task<string?> OwnerOfQueriedNamespace(HttpContext context)
    {
        if (context.Request.Query["namespace"] is not [{ } ns] || !PolicyNames.IsValid(ns))
        {
            await BadName(context, "namespace (query parameter 'namespace')").ConfigureAwait(false);
            return null;
        }

        var owner = _signers.Check(context, ns, [], RequestSigner.Owner);
        if (owner.SignerId is null)
        {
            await Refuse(context, owner.Status, owner.Reason, owner.Message).ConfigureAwait(false);
            return null;
        }

        return ns;
    }

    private Task Refuse(HttpContext context, int status, string reason, string message)
    {
        KmsServerLog.RequestRefused(logger, context.Request.Method, context.Request.Path, status, reason, message);
        return HttpIo.WriteErrorAsync(context, status, reason, message);
    }

    private Task BadName(HttpContext context, string what) =>
        Refuse(context, StatusCodes.Status400BadRequest, "BadName", $"the {what} {PolicyNames.Rule}");

    private Task TooLarge(HttpContext context) =>
        Refuse(context, StatusCodes.Status413PayloadTooLarge, "TooLarge", $"the request body is larger than {KmsApiPaths.MaxRequestBytes} bytes");

    /// <summary>A route value, percent-decoded, when it is a valid name.</summary>
    private static string? RouteName(HttpContext context, string key)
    {
        if (context.Request.RouteValues[key] is not string raw)
        {
            return null;
        }

        var name = Uri.UnescapeDataString(raw);
        return PolicyNames.IsValid(name) ? name : null;
    }

    /// <summary>The namespace a signed policy document names, when it can be read; null otherwise (the store then rejects and audits it).</summary>
    private static string? NamespaceOf(byte[] body)
    {
        try
        {
            return KmsPolicy.Parse(SignedPolicy.Parse(body).PolicyText).Namespace;
        }
        catch (PolicyException)
        {
            return null;
        }
    }
}
