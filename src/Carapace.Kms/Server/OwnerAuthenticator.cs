using System.Globalization;
using Carapace.Kms.Api;
using Carapace.Kms.Policy;
using Microsoft.AspNetCore.Http;

namespace Carapace.Kms.Server;

/// <summary>The outcome of checking an owner-signed request: the owner's id, or the status, reason and message to answer with.</summary>
internal sealed record OwnerCheck(string? OwnerId, int Status, string Reason, string Message)
{
    public static OwnerCheck Accepted(string ownerId) => new(ownerId, StatusCodes.Status200OK, "", "");
}

/// <summary>
/// Checks requests signed by a namespace owner (see <see cref="OwnerRequestSignature"/>): the three headers are present,
/// the time is within <see cref="OwnerRequestSignature.MaxClockSkew"/> of the KMS's clock, the named owner is an owner of
/// the namespace's <b>current</b> policy, and the signature over method, raw target, time and body hash verifies with
/// that owner's key.
/// </summary>
internal sealed class OwnerAuthenticator(PolicyStore policies, TimeProvider time)
{
    public OwnerCheck Check(HttpContext context, string ns, ReadOnlySpan<byte> body)
    {
        var headers = context.Request.Headers;
        if (headers[OwnerRequestSignature.OwnerHeader] is not [{ Length: > 0 } ownerId]
            || headers[OwnerRequestSignature.TimeHeader] is not [{ Length: > 0 } timeText]
            || headers[OwnerRequestSignature.SignatureHeader] is not [{ Length: > 0 } signatureText])
        {
            return Refuse(StatusCodes.Status401Unauthorized, "MissingSignature",
                $"this request must be signed by an owner of namespace '{ns}': send the headers {OwnerRequestSignature.OwnerHeader}, "
                + $"{OwnerRequestSignature.TimeHeader} and {OwnerRequestSignature.SignatureHeader} (see docs/attestation.md)");
        }

        if (!long.TryParse(timeText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var unixSeconds))
        {
            return Refuse(StatusCodes.Status401Unauthorized, "BadSignature", $"{OwnerRequestSignature.TimeHeader} must be Unix seconds, not '{Shorten(timeText)}'");
        }

        var now = time.GetUtcNow().ToUnixTimeSeconds();
        var skew = (long)OwnerRequestSignature.MaxClockSkew.TotalSeconds;
        if (unixSeconds < now - skew || unixSeconds > now + skew)
        {
            return Refuse(StatusCodes.Status401Unauthorized, "StaleSignature",
                $"the request was signed at Unix time {unixSeconds}, more than {skew} s from the KMS's clock ({now}); check the clock and sign it again");
        }

        var policy = policies.Current(ns)?.Policy;
        if (policy is null)
        {
            return Refuse(StatusCodes.Status404NotFound, "UnknownNamespace", $"namespace '{ns}' has no policy; its owners must set one first");
        }

        var owner = policy.Owners.FirstOrDefault(o => o.Id == ownerId);
        if (owner is null)
        {
            return Refuse(StatusCodes.Status403Forbidden, "NotAnOwner",
                $"'{Shorten(ownerId)}' is not an owner of namespace '{ns}' (policy v{policy.Version}); only its owners may do this");
        }

        byte[] signature;
        try
        {
            signature = Convert.FromBase64String(signatureText);
        }
        catch (FormatException)
        {
            signature = [];
        }

        using var key = P256.TryImport(owner.PublicKey, out _);
        var signed = OwnerRequestSignature.CanonicalBytes(context.Request.Method, HttpIo.RawTarget(context), unixSeconds, body);
        if (key is null || signature.Length != 64 || !P256.Verify(key, signed, signature))
        {
            return Refuse(StatusCodes.Status401Unauthorized, "BadSignature",
                $"the signature of owner '{owner.Id}' does not verify for this request (method, path, time and body) with the owner's key in policy v{policy.Version}");
        }

        return OwnerCheck.Accepted(owner.Id);
    }

    private static OwnerCheck Refuse(int status, string reason, string message) => new(null, status, reason, message);

    private static string Shorten(string text) =>
        new([.. text.Take(PolicyNames.MaxLength).Select(c => char.IsControl(c) ? '?' : c)]);
}
