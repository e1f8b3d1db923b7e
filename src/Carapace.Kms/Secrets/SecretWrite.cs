using System.Globalization;
using System.Text;
using Carapace.Kms.Policy;

namespace Carapace.Kms.Secrets;

/// <summary>
/// The statement owners approve to change a secret: which secret of which namespace, put or delete, the write's
/// version, the SHA-256 of the value sealed to the KMS (see <see cref="SealedSecretValue"/>; never the value) and until
/// when the approval holds. The KMS applies it only with <see cref="KmsPolicy.Approvals"/> valid signatures by owners of
/// the namespace's current policy, only as the secret's next write (<see cref="Version"/> = its last write's + 1, so an
/// applied write cannot be replayed and a held one is void once another is applied) and only before <see cref="Expires"/>.
/// </summary>
/// <remarks>
/// Owners sign <see cref="SignedBytes"/>: the lines
/// <code>
/// carapace-kms-secret-write-v1
/// namespace=NS
/// secret=NAME
/// operation=put|delete
/// version=N
/// sealed-value-sha256=HEX|-
/// expires=yyyy-MM-ddTHH:mm:ssZ
/// </code>
/// each ending in <c>\n</c> (UTF-8; names follow <see cref="PolicyNames"/>, so they hold no line break). The first line
/// keeps these signatures apart from the policy texts and requests the same owner keys sign.
/// </remarks>
public sealed record SecretWrite
{
    /// <summary>The largest secret value, in bytes.</summary>
    public const int MaxValueBytes = 64 * 1024;

    /// <summary>
    /// The longest an approval may hold: a write that expires later than this after the KMS's clock (give or take the
    /// <see cref="Api.OwnerRequestSignature.MaxClockSkew"/> allowed for the proposer's clock) is refused.
    /// </summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(30);

    /// <summary>How long an approval holds unless the proposer says otherwise.</summary>
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromDays(7);

    /// <summary>The form of <see cref="Expires"/> in documents and signed bytes.</summary>
    public const string TimeFormat = "yyyy-MM-ddTHH:mm:ssZ";

    private const string Label = "carapace-kms-secret-write-v1";

    /// <summary>The namespace.</summary>
    public required string Namespace { get; init; }

    /// <summary>The secret's name.</summary>
    public required string Secret { get; init; }

    /// <summary>Put or delete.</summary>
    public required SecretOperation Operation { get; init; }

    /// <summary>The write's number: one more than the secret's last accepted write (put or delete); 1 for its first.</summary>
    public required long Version { get; init; }

    /// <summary>For a put, lower-case hex SHA-256 of the sealed value (<see cref="SealedSecretValue.Sha256"/>); null for a delete.</summary>
    public string? SealedValueSha256 { get; init; }

    /// <summary>Until when the approval holds (UTC, whole seconds).</summary>
    public required DateTimeOffset Expires { get; init; }

    /// <summary>The operation as documents spell it.</summary>
    public string OperationName => OperationNameOf(Operation);

    /// <summary>"put" or "delete".</summary>
    public static string OperationNameOf(SecretOperation operation) => operation == SecretOperation.Put ? "put" : "delete";

    /// <summary>The expiry as documents spell it.</summary>
    public string ExpiresText => Expires.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture);

    /// <summary>Every problem of this write's fields, one sentence each; empty when it is well-formed.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!PolicyNames.IsValid(Namespace))
        {
            errors.Add($"$.write.namespace: {PolicyNames.Rule}");
        }

        if (!PolicyNames.IsValid(Secret))
        {
            errors.Add($"$.write.secret: {PolicyNames.Rule}");
        }

        if (Version < 1)
        {
            errors.Add("$.write.version: must be 1 or more");
        }

        if (Operation == SecretOperation.Put && !IsSha256Hex(SealedValueSha256))
        {
            errors.Add("$.write.sealedValueSha256: a put needs the lower-case hex SHA-256 of its sealed value (64 characters)");
        }

        if (Operation == SecretOperation.Delete && SealedValueSha256 is not null)
        {
            errors.Add("$.write.sealedValueSha256: a delete carries no value");
        }

        if (Expires.Offset != TimeSpan.Zero || Expires.UtcTicks % TimeSpan.TicksPerSecond != 0)
        {
            errors.Add("$.write.expires: must be UTC in whole seconds");
        }

        return errors;
    }

    /// <summary>The exact bytes owners sign (see the remarks).</summary>
    /// <exception cref="ArgumentException">A field is not well-formed (<see cref="Validate"/>).</exception>
    public byte[] SignedBytes()
    {
        var errors = Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("the secret write is not well-formed: " + string.Join("; ", errors));
        }

        var text = string.Create(CultureInfo.InvariantCulture,
            $"{Label}\nnamespace={Namespace}\nsecret={Secret}\noperation={OperationName}\nversion={Version}\nsealed-value-sha256={SealedValueSha256 ?? "-"}\nexpires={ExpiresText}\n");
        return Encoding.UTF8.GetBytes(text);
    }

    /// <summary>One line for people: what the write does (no value, which it never holds).</summary>
    public override string ToString() =>
        $"{OperationName} secret '{Secret}' of namespace '{Namespace}' as write v{Version}"
        + (SealedValueSha256 is { Length: >= 16 } hash ? $" (sealed value sha256 {hash[..16]}…)" : "") + $", approvals valid until {ExpiresText}";

    private static bool IsSha256Hex(string? text) =>
        text is { Length: 64 } && text.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');
}
