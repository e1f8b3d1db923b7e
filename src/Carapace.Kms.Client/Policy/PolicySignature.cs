namespace Carapace.Kms.Client.Policy;

/// <summary>One owner's approval of a policy text.</summary>
/// <param name="Owner">The owner id, as listed in the policy whose owners must approve.</param>
/// <param name="Signature">Base64 of an ECDSA P-256 / SHA-256 signature in IEEE P1363 form (r ‖ s, 64 bytes) over the UTF-8 policy text.</param>
public sealed record PolicySignature(string Owner, string Signature);
