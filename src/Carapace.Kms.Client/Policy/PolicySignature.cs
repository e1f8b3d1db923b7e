using System.Text.Json;

namespace Carapace.Kms.Client.Policy;

/// <summary>One owner's approval of a policy text.</summary>
/// <param name="Owner">The owner id, as listed in the policy whose owners must approve.</param>
/// <param name="Signature">Base64 of an ECDSA P-256 / SHA-256 signature in IEEE P1363 form (r ‖ s, 64 bytes) over the UTF-8 policy text.</param>
public sealed record PolicySignature(string Owner, string Signature)
{
    /// <summary>
    /// The <c>"signatures"</c> array of a signed owner document (a policy or a secret write): objects with exactly
    /// <c>owner</c> and <c>signature</c>. Every problem goes to <paramref name="errors"/>; entries with one are left out.
    /// </summary>
    internal static List<PolicySignature> ReadAll(JsonFields? document, List<string> errors)
    {
        var signatures = new List<PolicySignature>();
        foreach (var (item, path) in document?.Array("signatures", required: true) ?? [])
        {
            var fields = JsonFields.Open(item, path, errors, "owner", "signature");
            var owner = fields?.RequiredString("owner");
            var signature = fields?.RequiredString("signature");
            if (owner is not null && signature is not null)
            {
                signatures.Add(new PolicySignature(owner, signature));
            }
        }

        return signatures;
    }

    /// <summary>Writes <paramref name="signatures"/> as the <c>"signatures"</c> array <see cref="ReadAll"/> reads.</summary>
    internal static void WriteAll(Utf8JsonWriter writer, IEnumerable<PolicySignature> signatures)
    {
        writer.WriteStartArray("signatures");
        foreach (var s in signatures)
        {
            writer.WriteStartObject();
            writer.WriteString("owner", s.Owner);
            writer.WriteString("signature", s.Signature);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }
}
