namespace Carapace.Kms.Policy;

/// <summary>
/// Counts the valid owner signatures of a signed document (a policy, a secret write) by a given set of owners, noting
/// every one that does not count.
/// </summary>
internal static class PolicyApprovals
{
    /// <summary>The distinct owners whose signature verifies over the policy text, and a note for each signature that does not count.</summary>
    public static (List<string> ApprovedBy, List<string> Ignored) Check(SignedPolicy document, IReadOnlyList<PolicyPrincipal> owners) =>
        Check(document.SignedBytes(), document.Signatures, owners, "this policy text");

    /// <summary>
    /// The distinct owners whose signature verifies over <paramref name="data"/>, and a note for each signature that does
    /// not count; <paramref name="what"/> names the signed text in those notes ("this policy text").
    /// </summary>
    public static (List<string> ApprovedBy, List<string> Ignored) Check(byte[] data, IReadOnlyList<PolicySignature> signatures,
        IReadOnlyList<PolicyPrincipal> owners, string what)
    {
        var approvedBy = new List<string>();
        var ignored = new List<string>();
        foreach (var signature in signatures)
        {
            var name = Shorten(signature.Owner);
            var owner = owners.FirstOrDefault(o => o.Id == signature.Owner);
            if (owner is null)
            {
                ignored.Add($"the signature by '{name}' does not count: '{name}' is not an owner whose approval is required");
                continue;
            }

            if (approvedBy.Contains(owner.Id))
            {
                ignored.Add($"a second signature by owner '{name}' does not count again");
                continue;
            }

            byte[] bytes;
            try
            {
                bytes = Convert.FromBase64String(signature.Signature);
            }
            catch (FormatException)
            {
                ignored.Add($"the signature by owner '{name}' does not count: it is not base64");
                continue;
            }

            using var key = P256.TryImport(owner.PublicKey, out _);
            if (key is null || bytes.Length != 64 || !P256.Verify(key, data, bytes))
            {
                ignored.Add($"the signature by owner '{name}' does not count: it does not verify over {what} with the owner's key "
                    + "(it was made over another text or with another key, or is not a 64-byte P1363 signature)");
                continue;
            }

            approvedBy.Add(owner.Id);
        }

        return (approvedBy, ignored);
    }

    private static string Shorten(string text) => text.Length <= PolicyNames.MaxLength ? text : text[..PolicyNames.MaxLength] + "…";
}
