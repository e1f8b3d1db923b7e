namespace Carapace.Kms.Client.Release;

/// <summary>A position of a function in a chain.</summary>
/// <param name="Chain">The chain's name (its chain id).</param>
/// <param name="Step">The 1-based step; it receives on edge <c>Step-1 → Step</c> and sends on <c>Step → Step+1</c>.</param>
/// <param name="Steps">The chain's number of steps <c>n</c>; edge <c>n → n+1</c> goes back to the client.</param>
public readonly record struct ChainStep(string Chain, int Step, int Steps);
