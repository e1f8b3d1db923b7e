namespace Carapace.Controller.Activations;

/// <summary>What an activation returned, as the controller keeps it: ciphertext and public receipts only.</summary>
/// <param name="SealedOutput">The sealed output envelope, or null when none was produced.</param>
/// <param name="Receipts">The signed receipts of the steps that ran, in step order.</param>
public sealed record ActivationOutput(byte[]? SealedOutput, IReadOnlyList<byte[]> Receipts);
