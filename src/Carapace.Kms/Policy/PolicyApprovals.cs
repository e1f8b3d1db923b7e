using Carapace.Kms.Client.Policy;
namespace Carapace.Kms.Policy;

/// <summary>Counts the valid signatures of a signed policy by a given set of owners, noting every one that does not count.</summary>
internal static class PolicyApprovals
{
    /// <summary>The distinct owners whose signature verifies, and a note for each signature that does not count.</summary>
    public static (List<string> ApprovedBy, List<string> Ignored) Check(SignedPolicy document, IReadOnlyList<PolicyPrincipal> owners)
    {
        var approvedBy = new List<string>();
        var ignored = new List<string>();
        var data = document.SignedBytes();
        foreach (var signature in document.Signatures)
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
                ignored.Add($"the signature by owner '{name}' does not count: it does not verify over this policy text with the owner's key "
                    + "(it was made over another text or with another key, or is not a 64-byte P1363 signature)");
                continue;
            }

            approvedBy.Add(owner.Id);
        }

        return (approvedBy, ignored);
    }

    private static string Shorten(string text) => text.Length <= PolicyNames.MaxLength ? text : text[..PolicyNames.MaxLength] + "…";
}
