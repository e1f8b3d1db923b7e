using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Text.Json;

namespace Carapace.Attestation;

/// <summary>
/// Base of Carapace's verifiers: runs <see cref="VerifyCore"/> and turns every way it can fail (a typed
/// <see cref="AttestationException"/>, or a parser exception from malformed bytes) into a rejected result, so no
/// exception escapes <see cref="Verify"/> for any input.
/// </summary>
public abstract class EvidenceVerifier : IEvidenceVerifier
{
    /// <inheritdoc />
    public abstract EvidenceKind Kind { get; }

    /// <inheritdoc />
    public AttestationResult Verify(ReadOnlyMemory<byte> evidence, VerificationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        AttestationResult result;
        try
        {
            result = AttestationResult.Success(VerifyCore(evidence, options));
        }
        catch (AttestationException e)
        {
            return AttestationResult.Rejected(Kind, e.Failure);
        }
        catch (Exception e) when (e is CryptographicException or CborContentException or JsonException or FormatException
                                      or ArgumentException or InvalidOperationException or OverflowException
                                      or IndexOutOfRangeException or NotSupportedException or PlatformNotSupportedException)
        {
            return AttestationResult.Rejected(Kind, AttestationFailureReason.Malformed,
                $"the {EvidenceKinds.Name(Kind)} evidence could not be parsed ({e.GetType().Name})");
        }

        return options.ExpectedReportData is { } expected ? result.RequireReportData(expected.Span) : result;
    }

    /// <summary>
    /// Checks the evidence completely and returns its claims, or throws <see cref="AttestationException"/>.
    /// Report-data matching against <see cref="VerificationOptions.ExpectedReportData"/> is done by the caller.
    /// </summary>
    protected abstract VerifiedClaims VerifyCore(ReadOnlyMemory<byte> evidence, VerificationOptions options);
}
