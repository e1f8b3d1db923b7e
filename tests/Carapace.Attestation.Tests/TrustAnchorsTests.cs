using System.Security.Cryptography.X509Certificates;

namespace Carapace.Attestation.Tests;

public sealed class TrustAnchorsTests
{
    [Fact]
    public void Built_in_roots_load_and_match_their_pinned_fingerprints()
    {
        var roots = TrustAnchors.BuiltIn;
        Assert.Equal("44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3", TrustAnchors.Fingerprint(Assert.Single(roots.Intel)));
        Assert.Contains(roots.Amd.Cast<X509Certificate2>(), c => TrustAnchors.Fingerprint(c) == "69d063b45344d26a2e94e1f4210de49ef555308287d4c174445c95639a540bcd");
        Assert.Equal("641a0321a3e244efe456463195d606317ed7cdcc3c1756e09893f3c68f79bb5b", TrustAnchors.Fingerprint(Assert.Single(roots.Nitro)));
    }

    [Fact]
    public void Built_in_roots_are_identical_to_the_vector_copies()
    {
        Assert.Equal(Vectors.Pem("sgx/intel_sgx_root_ca.pem").RawData, TrustAnchors.BuiltIn.Intel[0].RawData);
        Assert.Equal(Vectors.Pem("nitro/aws_nitro_root_g1.pem").RawData, TrustAnchors.BuiltIn.Nitro[0].RawData);
    }

    [Fact]
    public void A_chain_to_a_root_that_is_not_configured_is_broken()
    {
        var leaf = Vectors.Pem("nitro/aws_nitro_root_g1.pem");
        var e = Assert.Throws<AttestationException>(() => CertificateChains.Verify(leaf, [], TrustAnchors.BuiltIn.Intel, Vectors.Utc("2030-01-01T00:00:00Z"), "test"));
        Assert.Equal(AttestationFailureReason.BrokenChain, e.Reason);
    }

    [Fact]
    public void A_root_outside_its_validity_is_reported_as_expired()
    {
        var root = TrustAnchors.BuiltIn.Intel[0];
        var e = Assert.Throws<AttestationException>(() => CertificateChains.Verify(root, [], TrustAnchors.BuiltIn.Intel, Vectors.Utc("2060-01-01T00:00:00Z"), "Intel"));
        Assert.Equal(AttestationFailureReason.Expired, e.Reason);
        Assert.Contains("expired", e.Message, StringComparison.Ordinal);
    }
}
