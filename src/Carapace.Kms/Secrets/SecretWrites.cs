using Carapace.Kms.Api;
using Carapace.Kms.Audit;
using Carapace.Kms.Policy;

namespace Carapace.Kms.Secrets;

/// <summary>
/// Applies owner-approved secret writes (<see cref="SignedSecretWrite"/>) with the rule policies have: a put — the first
/// value of a declared secret or a replacement — and a delete each need <see cref="KmsPolicy.Approvals"/> valid
/// signatures by distinct owners of the namespace's <b>current</b> policy, must be the secret's next write (no replay)
/// and must not have expired. The value arrives sealed to this KMS and is opened only after the approvals were checked.
/// Every applied write and every refusal of a namespace that has a policy is audited: kind, secret, version, operation,
/// signers, reasons — never the value.
/// </summary>
internal sealed class SecretWrites(PolicyStore policies, SecretStore store, SecretSealingKey sealingKey, AuditLog audit, TimeProvider time)
{
    /// <summary>
    /// Applies <paramref name="document"/>, which must name <paramref name="ns"/>, <paramref name="secret"/> and
    /// <paramref name="operation"/> (what the request it came with asks for).
    /// </summary>
    /// <exception cref="SecretWriteException">Refused; <see cref="SecretWriteException.Errors"/> gives every reason. Nothing changed.</exception>
    public SecretWriteResult Apply(ReadOnlySpan<byte> document, string ns, string secret, SecretOperation operation)
    {
        ArgumentNullException.ThrowIfNull(ns);
        ArgumentNullException.ThrowIfNull(secret);
        var policy = policies.Current(ns)?.Policy;
        SignedSecretWrite signed;
        try
        {
            signed = SignedSecretWrite.Parse(document);
        }
        catch (SecretWriteException e)
        {
            throw Refuse(policy, ns, secret, operation, null, [], e);
        }

        var write = signed.Write;
        if (write.Namespace != ns || write.Secret != secret || write.Operation != operation)
        {
            throw Refuse(policy, ns, secret, operation, signed, [], new SecretWriteException(SecretWriteRejection.Mismatch,
                [$"the document is a {write.OperationName} of secret '{write.Secret}' of namespace '{write.Namespace}' but came with a "
                 + $"{SecretWrite.OperationNameOf(operation)} of secret '{secret}' of namespace '{ns}'"]));
        }

        if (policy is null)
        {
            throw new SecretWriteException(SecretWriteRejection.UnknownNamespace, [$"namespace '{ns}' has no policy; its owners must set one first"]);
        }

        if (operation == SecretOperation.Put && !policy.Secrets.Any(s => s.Name == secret))
        {
            throw Refuse(policy, ns, secret, operation, signed, [], new SecretWriteException(SecretWriteRejection.UnknownSecret,
                [$"policy v{policy.Version} of namespace '{ns}' does not declare secret '{secret}'; declare it under \"secrets\" first"]));
        }

        var now = time.GetUtcNow();
        // The proposer's clock set the expiry: allow it the skew owner requests are allowed.
        if (write.Expires <= now || write.Expires > now + SecretWrite.MaxLifetime + OwnerRequestSignature.MaxClockSkew)
        {
            throw Refuse(policy, ns, secret, operation, signed, [], new SecretWriteException(SecretWriteRejection.Expired,
                [write.Expires <= now
                    ? $"its approvals held until {write.ExpiresText}, and the KMS's clock says {Text(now)}; propose the write again"
                    : $"its approvals claim to hold until {write.ExpiresText}, more than {SecretWrite.MaxLifetime.TotalDays:0} days after the "
                      + $"KMS's clock ({Text(now)}); propose it again with a nearer expiry"]));
        }

        var (approvedBy, ignored) = PolicyApprovals.Check(write.SignedBytes(), signed.Signatures, policy.Owners, "this secret write");
        if (approvedBy.Count < policy.Approvals)
        {
            List<string> errors =
            [
                $"namespace '{ns}' (policy v{policy.Version}) needs {policy.Approvals} of its {policy.Owners.Count} owners "
                + $"({string.Join(", ", policy.Owners.Select(o => o.Id))}) to approve a {write.OperationName} of a secret; this write has "
                + $"{approvedBy.Count}{(approvedBy.Count == 0 ? "" : " (" + string.Join(", ", approvedBy) + ")")}: more owners sign it with "
                + "'carapace secret approve'",
                .. ignored,
            ];
            throw Refuse(policy, ns, secret, operation, signed, approvedBy, new SecretWriteException(SecretWriteRejection.InsufficientApprovals, errors));
        }

        byte[] value = [];
        if (signed.SealedValue is { } sealedValue)
        {
            if (sealedValue.KmsKey != sealingKey.Fingerprint
                || sealingKey.TryOpen(sealedValue, ns, secret, write.Version) is not { Length: > 0 } opened)
            {
                throw Refuse(policy, ns, secret, operation, signed, approvedBy, new SecretWriteException(SecretWriteRejection.Unsealable,
                    [sealedValue.KmsKey != sealingKey.Fingerprint
                        ? $"the value is sealed to KMS key {sealedValue.KmsKey[..16]}…, and this KMS's sealing key is {sealingKey.Fingerprint[..16]}… "
                          + "(another KMS, or one with another master key); propose the write again against this KMS"
                        : "the value does not open with this KMS's sealing key for this namespace, secret and version: it was altered or sealed for "
                          + "another write; propose the write again"]));
            }

            value = opened;
        }

        try
        {
            var details = Details(write, approvedBy).Add("ignored", ignored);
            var at = store.Commit(write, value, details);
            return new SecretWriteResult
            {
                Namespace = ns,
                Secret = secret,
                Operation = operation,
                Version = write.Version,
                At = at,
                ApprovedBy = approvedBy,
                Ignored = ignored,
            };
        }
        catch (SecretWriteException e)
        {
            throw Refuse(policy, ns, secret, operation, signed, approvedBy, e);
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(value);
        }
    }

    /// <summary>Audits a refusal (when the namespace has a policy, so that its owners can read it) and returns the exception to throw.</summary>
    private SecretWriteException Refuse(KmsPolicy? policy, string ns, string secret, SecretOperation operation, SignedSecretWrite? signed,
        IReadOnlyList<string> approvedBy, SecretWriteException e)
    {
        if (policy is not null)
        {
            var details = signed is null
                ? new AuditDetails().Add("operation", SecretWrite.OperationNameOf(operation))
                : Details(signed.Write, approvedBy).Add("signers", signed.Signatures.Select(s => Short(s.Owner)));
            audit.Append(AuditKind.SecretWriteRejected, ns, secret, details.Add("reason", e.Reason.ToString()).Add("errors", e.Errors));
        }

        return e;
    }

    private static AuditDetails Details(SecretWrite write, IReadOnlyList<string> approvedBy) => new AuditDetails()
        .Add("operation", write.OperationName)
        .Add("version", write.Version)
        .Add("sealedValueSha256", write.SealedValueSha256)
        .Add("expires", write.ExpiresText)
        .Add("approvedBy", approvedBy);

    private static string Text(DateTimeOffset time) => time.UtcDateTime.ToString(SecretWrite.TimeFormat, System.Globalization.CultureInfo.InvariantCulture);

    private static string Short(string text) => text.Length <= PolicyNames.MaxLength ? text : text[..PolicyNames.MaxLength] + "…";
}
