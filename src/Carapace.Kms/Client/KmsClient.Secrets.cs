using System.Net;
using System.Net.Http.Headers;
using Carapace.Kms.Api;
using Carapace.Kms.Policy;
using Carapace.Kms.Release;
using Carapace.Kms.Secrets;

namespace Carapace.Kms.Client;

/// <summary>
/// Secrets, as owners change them: every put (the first value of a declared secret too) and every delete is a
/// <see cref="SignedSecretWrite"/> that the namespace's current policy's <c>approvals</c> owners sign. One owner
/// proposes it (<see cref="ProposeSecretWriteAsync"/>: the value sealed to the KMS's attested sealing key, never sent
/// in the clear), the others add their signatures offline (<see cref="SecretWriteSigner.AddSignature(SignedSecretWrite, string, OwnerKey)"/>),
/// and anyone submits it (<see cref="SubmitSecretWriteAsync"/>). Where one approval is enough, <see cref="PutSecretAsync"/>
/// and <see cref="DeleteSecretAsync"/> do all three.
/// </summary>
public sealed partial class KmsClient
{
    private const int WriteAttempts = 3;

    /// <summary>
    /// The KMS's secret-sealing public key (DER SubjectPublicKeyInfo). It comes over this client's attested TLS
    /// connection, so it is the key of the KMS whose measurement was verified.
    /// </summary>
    /// <exception cref="KmsRequestException">The KMS cannot be reached or sent something else than a key and its fingerprint.</exception>
    public async Task<byte[]> GetSecretSealingKeyAsync(CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, SecretApiPaths.SealingKey[1..]);
        var (status, body) = await SendAsync(_http, _verifier, request, cancellationToken).ConfigureAwait(false);
        if (status != HttpStatusCode.OK)
        {
            throw Failure(status, body, "publish its secret-sealing key");
        }

        var response = Parse(body, SecretJson.Default.SealingKeyResponse);
        var key = Base64(response.PublicKey, "publicKey");
        if (response.Fingerprint != SealedSecretValue.FingerprintOf(key))
        {
            throw new KmsRequestException($"the KMS at {Endpoint} sent a secret-sealing key whose fingerprint does not match it", status);
        }

        return key;
    }

    /// <summary>
    /// The secrets of <paramref name="ns"/> — each declared, stored or written one, with its stored version and time and
    /// its last write — asked for as owner <paramref name="ownerId"/>. Values are never sent.
    /// </summary>
    /// <exception cref="KmsDeniedException">The namespace has no policy, or <paramref name="ownerId"/> is not one of its owners.</exception>
    /// <exception cref="KmsRequestException">The signature was refused (bad key, clock skew), or another error.</exception>
    public async Task<IReadOnlyList<SecretListEntry>> ListSecretsAsync(string ns, OwnerKey owner, string ownerId, CancellationToken cancellationToken = default)
    {
        CheckName(ns, nameof(ns));
        using var request = new HttpRequestMessage(HttpMethod.Get, SecretApiPaths.ListOf(ns));
        SignAsOwner(request, [], owner, ownerId);
        var (status, body) = await SendAsync(_http, _verifier, request, cancellationToken).ConfigureAwait(false);
        if (status != HttpStatusCode.OK)
        {
            throw Failure(status, body, $"list the secrets of namespace '{ns}'");
        }

        var response = Parse(body, SecretJson.Default.SecretListResponse);
        return [.. (response.Secrets ?? []).Select(e => new SecretListEntry(
            e.Name is { } name && PolicyNames.IsValid(name) ? name : throw new KmsRequestException($"the KMS at {Endpoint} listed a secret without a valid name", status),
            e.Declared, e.Version, e.CreatedAt, e.LastWrite))];
    }

    /// <summary>
    /// Proposes a write of secret <paramref name="name"/> of <paramref name="ns"/>, signed by owner <paramref name="ownerId"/>:
    /// a put of <paramref name="value"/> (sealed to the KMS's sealing key; the document never holds it in the clear), or a
    /// delete when it is null, as the secret's next write, its approvals holding for <paramref name="lifetime"/>
    /// (default <see cref="SecretWrite.DefaultLifetime"/>, at most <see cref="SecretWrite.MaxLifetime"/>). Submit it once
    /// enough owners signed it.
    /// </summary>
    /// <exception cref="KmsDeniedException">The namespace has no policy, or <paramref name="ownerId"/> is not one of its owners.</exception>
    /// <exception cref="SecretWriteException">A put of a secret the policy does not declare (<see cref="SecretWriteRejection.UnknownSecret"/>),
    /// or a delete of one without a value (<see cref="SecretWriteRejection.NoValue"/>).</exception>
    /// <exception cref="ArgumentException">The value is empty or longer than <see cref="SecretWrite.MaxValueBytes"/>, or the lifetime is out of range.</exception>
    public async Task<SignedSecretWrite> ProposeSecretWriteAsync(string ns, string name, byte[]? value, OwnerKey owner, string ownerId,
        TimeSpan? lifetime = null, CancellationToken cancellationToken = default)
    {
        CheckName(ns, nameof(ns));
        CheckName(name, nameof(name));
        CheckName(ownerId, nameof(ownerId));
        ArgumentNullException.ThrowIfNull(owner);
        var holds = lifetime ?? SecretWrite.DefaultLifetime;
        if (holds < TimeSpan.FromMinutes(1) || holds > SecretWrite.MaxLifetime)
        {
            throw new ArgumentOutOfRangeException(nameof(lifetime), $"approvals hold from 1 minute to {SecretWrite.MaxLifetime.TotalDays:0} days");
        }

        if (value is { Length: 0 or > SecretWrite.MaxValueBytes })
        {
            throw new ArgumentException($"a secret value is 1 to {SecretWrite.MaxValueBytes} bytes", nameof(value));
        }

        var entries = await ListSecretsAsync(ns, owner, ownerId, cancellationToken).ConfigureAwait(false);
        var entry = entries.FirstOrDefault(e => e.Name == name);
        if (value is not null && entry is not { Declared: true })
        {
            throw new SecretWriteException(SecretWriteRejection.UnknownSecret,
                [$"the current policy of namespace '{ns}' does not declare secret '{name}'; declare it under \"secrets\" first"]);
        }

        if (value is null && entry?.Version is null)
        {
            throw new SecretWriteException(SecretWriteRejection.NoValue, [$"secret '{name}' of namespace '{ns}' has no stored value to delete"]);
        }

        var sealingKey = value is null ? [] : await GetSecretSealingKeyAsync(cancellationToken).ConfigureAwait(false);
        var expires = _trust.TimeProvider.GetUtcNow() + holds;
        var document = SecretWriteSigner.Propose(ns, name, entry?.NextWrite ?? 1, sealingKey, value, expires);
        return SecretWriteSigner.AddSignature(document, ownerId, owner);
    }

    /// <summary>Submits a signed secret write: <c>PUT</c> for a put, <c>DELETE</c> for a delete. Anyone may submit; the signatures decide.</summary>
    /// <exception cref="SecretWriteException">The KMS refused it; <see cref="SecretWriteException.Errors"/> gives every reason.</exception>
    public async Task<SecretWriteResult> SubmitSecretWriteAsync(SignedSecretWrite document, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(document);
        var write = document.Write;
        CheckName(write.Namespace, nameof(document));
        CheckName(write.Secret, nameof(document));
        var method = write.Operation == SecretOperation.Put ? HttpMethod.Put : HttpMethod.Delete;
        using var request = new HttpRequestMessage(method, SecretApiPaths.SecretOf(write.Namespace, write.Secret)) { Content = Json(document.ToJson()) };
        var (status, body) = await SendAsync(_http, _verifier, request, cancellationToken).ConfigureAwait(false);
        if (status == HttpStatusCode.OK)
        {
            var r = Parse(body, SecretJson.Default.SecretWriteResponse);
            return new SecretWriteResult
            {
                Namespace = r.Namespace ?? write.Namespace,
                Secret = r.Secret ?? write.Secret,
                Operation = write.Operation,
                Version = r.Version,
                At = r.At,
                ApprovedBy = r.ApprovedBy ?? [],
                Ignored = r.Ignored ?? [],
            };
        }

        if (TryError(body) is { Reason: { } reason } error && Enum.TryParse<SecretWriteRejection>(reason, out var rejection))
        {
            throw new SecretWriteException(rejection, error.Errors is { Count: > 0 } errors ? errors : [error.Message ?? reason]);
        }

        throw Failure(status, body, $"{write.OperationName} secret '{write.Secret}' of namespace '{write.Namespace}'");
    }

    /// <summary>
    /// Stores <paramref name="value"/> as the next version of secret <paramref name="name"/> of <paramref name="ns"/>,
    /// proposed, signed and submitted as owner <paramref name="ownerId"/> alone: enough where the namespace's policy needs
    /// one approval. Another write that comes first is taken into account (the write is proposed again, up to 3 times).
    /// </summary>
    /// <exception cref="SecretWriteException">Refused: <see cref="SecretWriteRejection.InsufficientApprovals"/> where the policy
    /// needs more owners (propose, have them sign, submit), <see cref="SecretWriteRejection.UnknownSecret"/>, and the others.</exception>
    /// <exception cref="KmsDeniedException">The namespace has no policy, or <paramref name="ownerId"/> is not one of its owners.</exception>
    public async Task<SecretInfo> PutSecretAsync(string ns, string name, byte[] value, OwnerKey owner, string ownerId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(value);
        var result = await WriteAloneAsync(ns, name, value, owner, ownerId, cancellationToken).ConfigureAwait(false);
        return new SecretInfo(result.Namespace, result.Secret, result.Version, result.At);
    }

    /// <summary>Deletes every version of secret <paramref name="name"/> of <paramref name="ns"/> as owner <paramref name="ownerId"/> alone (see <see cref="PutSecretAsync"/>).</summary>
    /// <exception cref="SecretWriteException">Refused (too few approvals, no value, …).</exception>
    public Task<SecretWriteResult> DeleteSecretAsync(string ns, string name, OwnerKey owner, string ownerId, CancellationToken cancellationToken = default) =>
        WriteAloneAsync(ns, name, null, owner, ownerId, cancellationToken);

    private async Task<SecretWriteResult> WriteAloneAsync(string ns, string name, byte[]? value, OwnerKey owner, string ownerId,
        CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var document = await ProposeSecretWriteAsync(ns, name, value, owner, ownerId, TimeSpan.FromMinutes(10), cancellationToken).ConfigureAwait(false);
            try
            {
                return await SubmitSecretWriteAsync(document, cancellationToken).ConfigureAwait(false);
            }
            catch (SecretWriteException e) when (e.Reason == SecretWriteRejection.StaleVersion && attempt < WriteAttempts)
            {
                // Another write of this secret came first: propose the next one.
            }
        }
    }
}
