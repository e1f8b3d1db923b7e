using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Carapace.Attestation.Dcap;

/// <summary>ECDSA P-256 / SHA-256 checks in the encodings Intel uses: raw X‖Y keys and raw r‖s signatures.</summary>
internal static class P256
{
    public const int RawSignatureSize = 64;

    /// <summary>Imports a raw 64-byte X‖Y public key; throws BadSignature when it is not a point on P-256.</summary>
    public static ECDsa ImportRaw(ReadOnlySpan<byte> xy, string what)
    {
        if (xy.Length != 64)
        {
            throw AttestationException.Malformed($"the {what} must be 64 bytes (X‖Y), not {xy.Length}");
        }

        try
        {
            return ECDsa.Create(new ECParameters
            {
                Curve = ECCurve.NamedCurves.nistP256,
                Q = new ECPoint { X = xy[..32].ToArray(), Y = xy[32..].ToArray() },
            });
        }
        catch (CryptographicException)
        {
            throw new AttestationException(AttestationFailureReason.BadSignature, $"the {what} is not a valid P-256 public key");
        }
    }

    /// <summary>The certificate's P-256 key; throws BrokenChain when it has another kind of key.</summary>
    public static ECDsa KeyOf(X509Certificate2 certificate, string what)
    {
        var key = certificate.GetECDsaPublicKey();
        if (key is null || key.KeySize != 256)
        {
            key?.Dispose();
            throw new AttestationException(AttestationFailureReason.BrokenChain,
                $"the {what} certificate '{certificate.Subject}' does not hold an ECDSA P-256 key");
        }

        return key;
    }

    /// <summary>True when <paramref name="signature"/> (raw r‖s) is <paramref name="key"/>'s signature over <paramref name="data"/>.</summary>
    public static bool Verify(ECDsa key, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) =>
        signature.Length == RawSignatureSize
        && key.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
}
