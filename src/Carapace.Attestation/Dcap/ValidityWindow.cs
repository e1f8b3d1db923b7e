namespace Carapace.Attestation.Dcap;

/// <summary>The period in which a certificate chain or collateral item may be relied on (both ends inclusive).</summary>
internal readonly record struct ValidityWindow(DateTimeOffset From, DateTimeOffset Until)
{
    /// <summary>The period in which both windows hold.</summary>
    public ValidityWindow Intersect(ValidityWindow other) =>
        new(From > other.From ? From : other.From, Until < other.Until ? Until : other.Until);

    /// <summary>Throws NotYetValid or Expired, naming <paramref name="what"/>, when <paramref name="at"/> is outside the window.</summary>
    public void Check(DateTimeOffset at, string what)
    {
        if (at < From)
        {
            throw new AttestationException(AttestationFailureReason.NotYetValid,
                $"the {what} is not valid until {From.UtcDateTime:u} (verification time {at.UtcDateTime:u})");
        }

        if (at > Until)
        {
            throw new AttestationException(AttestationFailureReason.Expired,
                $"the {what} expired at {Until.UtcDateTime:u} (verification time {at.UtcDateTime:u}); fetch current collateral from Intel PCS or a PCCS");
        }
    }

    public static ValidityWindow Of(ChainResult chain) => new(chain.ValidFrom, chain.ValidUntil);
}
