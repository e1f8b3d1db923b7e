using Carapace.Kms.Api;
using Carapace.Kms.Secrets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Carapace.Kms.Server;

/// <summary>
/// The secret API: the sealing key owners seal values to, the owner-signed list (names, versions, times — never values),
/// and puts and deletes, each a <see cref="SignedSecretWrite"/> that needs k of n owner approvals.
/// </summary>
internal sealed partial class KmsEndpoints
{
    private void MapSecrets(IEndpointRouteBuilder routes)
    {
        routes.MapGet(SecretApiPaths.SealingKey, context => Guard(context, GetSealingKeyAsync));
        routes.MapGet(SecretApiPaths.List, context => Guard(context, ListSecretsAsync));
        routes.MapPut(SecretApiPaths.Secret, context => Guard(context, c => WriteSecretAsync(c, SecretOperation.Put)));
        routes.MapDelete(SecretApiPaths.Secret, context => Guard(context, c => WriteSecretAsync(c, SecretOperation.Delete)));
    }

    /// <summary><c>GET /v1/secret-sealing-key</c>: a public key, so anyone may ask; its authenticity is the attested TLS channel's.</summary>
    private Task GetSealingKeyAsync(HttpContext context)
    {
        var key = kms.SecretSealingPublicKey;
        return HttpIo.WriteJsonAsync(context, StatusCodes.Status200OK,
            new SealingKeyResponse(Convert.ToBase64String(key.Span), SealedSecretValue.FingerprintOf(key.Span)), SecretJson.Default.SealingKeyResponse);
    }

    /// <summary><c>GET /v1/secrets/{ns}</c>, signed by an owner of <c>ns</c>.</summary>
    private async Task ListSecretsAsync(HttpContext context)
    {
        if (RouteName(context, "ns") is not { } ns)
        {
            await BadName(context, "namespace").ConfigureAwait(false);
            return;
        }

        var owner = _signers.Check(context, ns, [], RequestSigner.Owner);
        if (owner.SignerId is null)
        {
            await Refuse(context, owner.Status, owner.Reason, owner.Message).ConfigureAwait(false);
            return;
        }

        var entries = kms.ListSecrets(ns)
            .Select(e => new SecretEntryResponse(e.Name, e.Declared, e.Version, e.CreatedAt, e.LastWrite))
            .ToList();
        await HttpIo.WriteJsonAsync(context, StatusCodes.Status200OK, new SecretListResponse(ns, entries), SecretJson.Default.SecretListResponse)
            .ConfigureAwait(false);
    }

    /// <summary><c>PUT</c> or <c>DELETE /v1/secrets/{ns}/{name}</c> with a signed secret write document as the body.</summary>
    private async Task WriteSecretAsync(HttpContext context, SecretOperation operation)
    {
        if (RouteName(context, "ns") is not { } ns || RouteName(context, "name") is not { } name)
        {
            await BadName(context, "namespace or secret name").ConfigureAwait(false);
            return;
        }

        var body = await HttpIo.ReadBodyAsync(context.Request, SignedSecretWrite.MaxBytes, context.RequestAborted).ConfigureAwait(false);
        if (body is null)
        {
            await Refuse(context, StatusCodes.Status413PayloadTooLarge, "TooLarge",
                $"a secret write document is at most {SignedSecretWrite.MaxBytes} bytes").ConfigureAwait(false);
            return;
        }

        SecretWriteResult result;
        try
        {
            result = kms.WriteSecret(body, ns, name, operation);
        }
        catch (SecretWriteException e)
        {
            var status = e.Reason switch
            {
                SecretWriteRejection.UnknownNamespace or SecretWriteRejection.UnknownSecret or SecretWriteRejection.NoValue => StatusCodes.Status404NotFound,
                SecretWriteRejection.InsufficientApprovals or SecretWriteRejection.Expired => StatusCodes.Status403Forbidden,
                SecretWriteRejection.StaleVersion => StatusCodes.Status409Conflict,
                _ => StatusCodes.Status400BadRequest,
            };
            KmsServerLog.SecretWriteRejected(logger, ns, name, SecretWrite.OperationNameOf(operation), status, e.Reason.ToString(), e.Message);
            await HttpIo.WriteErrorAsync(context, status, e.Reason.ToString(), e.Message, e.Errors).ConfigureAwait(false);
            return;
        }

        KmsServerLog.SecretWritten(logger, ns, name, SecretWrite.OperationNameOf(operation), result.Version, string.Join(", ", result.ApprovedBy));
        await HttpIo.WriteJsonAsync(context, StatusCodes.Status200OK,
            new SecretWriteResponse(result.Namespace, result.Secret, SecretWrite.OperationNameOf(result.Operation), result.Version, result.At,
                result.ApprovedBy, result.Ignored),
            SecretJson.Default.SecretWriteResponse).ConfigureAwait(false);
    }
}
