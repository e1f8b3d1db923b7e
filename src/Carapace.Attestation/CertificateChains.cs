using System.Security.Cryptography.X509Certificates;

namespace Carapace.Attestation;

/// <summary>
/// Verifies certificate chains the way attestation needs: only the given roots are trusted, at a fixed time, with no
/// downloads and no system store; revocation is checked separately against the vendor's CRLs.
/// </summary>
public static class CertificateChains
{
    /// <summary>
    /// Checks that <paramref name="leaf"/> chains through <paramref name="intermediates"/> to one of
    /// <paramref name="roots"/> at <paramref name="at"/>, and that every certificate on the chain is within its
    /// validity period. Returns the chain (leaf first, root last) and the period every certificate is valid in;
    /// throws <see cref="AttestationException"/> naming <paramref name="what"/> otherwise.
    /// </summary>
    public static ChainResult Verify(
        X509Certificate2 leaf,
        IEnumerable<X509Certificate2> intermediates,
        X509Certificate2Collection roots,
        DateTimeOffset at,
        string what)
    {
        ArgumentNullException.ThrowIfNull(leaf);
        ArgumentNullException.ThrowIfNull(intermediates);
        ArgumentNullException.ThrowIfNull(roots);
        if (roots.Count == 0)
        {
            throw new AttestationException(AttestationFailureReason.BrokenChain, $"no trusted root is configured for the {what}");
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        foreach (var intermediate in intermediates)
        {
            chain.ChainPolicy.ExtraStore.Add(intermediate);
        }

        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.ChainPolicy.VerificationTime = at.UtcDateTime;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        var built = chain.Build(leaf);
        var elements = chain.ChainElements.Select(e => new X509Certificate2(e.Certificate)).ToList();

        // Name the certificate whose validity excludes the time: that is what a person can act on.
        foreach (var certificate in elements.Append(leaf))
        {
            if (at < new DateTimeOffset(certificate.NotBefore.ToUniversalTime()))
            {
                throw new AttestationException(AttestationFailureReason.NotYetValid,
                    $"the {what} certificate '{certificate.Subject}' is not valid until {certificate.NotBefore.ToUniversalTime():u} (verification time {at.UtcDateTime:u})");
            }

            if (at > new DateTimeOffset(certificate.NotAfter.ToUniversalTime()))
            {
                throw new AttestationException(AttestationFailureReason.Expired,
                    $"the {what} certificate '{certificate.Subject}' expired at {certificate.NotAfter.ToUniversalTime():u} (verification time {at.UtcDateTime:u})");
            }
        }

        if (!built)
        {
            var problems = string.Join(", ", chain.ChainStatus.Select(s => s.Status.ToString()).Distinct());
            throw new AttestationException(AttestationFailureReason.BrokenChain,
                $"the {what} certificate chain does not lead to a trusted root ({problems})");
        }

        var root = elements[^1];
        if (!roots.Cast<X509Certificate2>().Any(r => r.RawData.AsSpan().SequenceEqual(root.RawData)))
        {
            throw new AttestationException(AttestationFailureReason.BrokenChain, $"the {what} certificate chain ends in an untrusted root '{root.Subject}'");
        }

        var from = elements.Max(c => new DateTimeOffset(c.NotBefore.ToUniversalTime()));
        var until = elements.Min(c => new DateTimeOffset(c.NotAfter.ToUniversalTime()));
        return new ChainResult(elements, from, until);
    }
}
