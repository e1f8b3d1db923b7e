using System.Globalization;
using Carapace.Kms.Client.Api;
using Carapace.Kms.Client.Policy;
using Carapace.Kms.Client.Release;
using Carapace.Kms.Policy;
using Microsoft.AspNetCore.Http;

namespace Carapace.Kms.Server;

/// <summary>
/// Checks requests signed by an owner or a client of a namespace (see <see cref="OwnerRequestSignature"/>): the three
/// headers are present, the time is within <see cref="OwnerRequestSignature.MaxClockSkew"/> of the KMS's clock, the named
/// signer is an owner (or client) of the namespace's <b>current</b> policy, and the signature over method, raw target,
/// time and body hash verifies with that principal's key.
/// </summary>
internal sealed class SignedRequestAuthenticator(PolicyStore policies, TimeProvider time)
{
    public SignerCheck Check(HttpContext context, string ns, ReadOnlySpan<byte> body, RequestSigner signer)
    {
        var headers = context.Request.Headers;
        var claimed = headers[signer.Header] is [{ } named] && PolicyNames.IsValid(named) ? named : null;
        if (headers[signer.Header] is not [{ Length: > 0 } signerId]
            || headers[OwnerRequestSignature.TimeHeader] is not [{ Length: > 0 } timeText]
            || headers[OwnerRequestSignature.SignatureHeader] is not [{ Length: > 0 } signatureText])
        {
            return Refuse(claimed, StatusCodes.Status401Unauthorized, nameof(KmsDenialReason.MissingSignature),
                $"this request must be signed by {signer.WithArticle} of namespace '{ns}': send the headers {signer.Header}, "
                + $"{OwnerRequestSignature.TimeHeader} and {OwnerRequestSignature.SignatureHeader} (see docs/attestation.md)");
        }

        if (!long.TryParse(timeText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var unixSeconds))
        {
            return Refuse(claimed, StatusCodes.Status401Unauthorized, nameof(KmsDenialReason.BadSignature),
                $"{OwnerRequestSignature.TimeHeader} must be Unix seconds, not '{Shorten(timeText)}'");
        }

        var now = time.GetUtcNow().ToUnixTimeSeconds();
        var skew = (long)OwnerRequestSignature.MaxClockSkew.TotalSeconds;
        if (unixSeconds < now - skew || unixSeconds > now + skew)
        {
            return Refuse(claimed, StatusCodes.Status401Unauthorized, nameof(KmsDenialReason.StaleSignature),
                $"the request was signed at Unix time {unixSeconds}, more than {skew} s from the KMS's clock ({now}); check the clock and sign it again");
        }

        var policy = policies.Current(ns)?.Policy;
        if (policy is null)
        {
            return Refuse(claimed, StatusCodes.Status404NotFound, nameof(KmsDenialReason.UnknownNamespace),
                $"namespace '{ns}' has no policy; its owners must set one first");
        }

        var principal = signer.Principals(policy).FirstOrDefault(p => p.Id == signerId);
        if (principal is null)
        {
            return Refuse(claimed, StatusCodes.Status403Forbidden, signer.UnknownReason,
                $"'{Shorten(signerId)}' is not {signer.WithArticle} of namespace '{ns}' (policy v{policy.Version}); {signer.UnknownHint}");
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

        using var key = P256.TryImport(principal.PublicKey, out _);
        var signed = OwnerRequestSignature.CanonicalBytes(context.Request.Method, HttpIo.RawTarget(context), unixSeconds, body);
        if (key is null || signature.Length != 64 || !P256.Verify(key, signed, signature))
        {
            return Refuse(claimed, StatusCodes.Status401Unauthorized, nameof(KmsDenialReason.BadSignature),
                $"the signature of {signer.Noun} '{principal.Id}' does not verify for this request (method, path, time and body) "
                + $"with the {signer.Noun}'s key in policy v{policy.Version}");
        }

        return SignerCheck.Accepted(principal.Id);
    }

    private static SignerCheck Refuse(string? claimed, int status, string reason, string message) => new(null, claimed, status, reason, message);

    private static string Shorten(string text) =>
        new([.. text.Take(PolicyNames.MaxLength).Select(c => char.IsControl(c) ? '?' : c)]);
}
