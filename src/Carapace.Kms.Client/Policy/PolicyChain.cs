namespace Carapace.Kms.Client.Policy;

/// <summary>
/// A chain of functions. Step <c>i</c> (1-based) receives on edge <c>i-1 → i</c> and sends on edge <c>i → i+1</c>;
/// step 0 is the client's entry and step <c>n+1</c> the client's exit.
/// </summary>
public sealed record PolicyChain
{
    /// <summary>The chain's name, also the chain id its edge keys are derived for.</summary>
    public required string Name { get; init; }

    /// <summary>The function names of steps 1..n (at least one).</summary>
    public required IReadOnlyList<string> Steps { get; init; }
}
