using Carapace.Client.Gateway;

namespace Carapace.Client.Deployment;

/// <summary>What a deployment (of an action or a chain) stored.</summary>
/// <param name="Action">The action as the gateway stored it (name, version, limits, annotations).</param>
/// <param name="Measurement">The measurement (lower-case hex) the policy now accepts for the function; null for a chain or a plaintext action.</param>
/// <param name="PolicyVersion">The namespace policy version that names it; null for a plaintext action.</param>
public sealed record DeployResult(GatewayAction Action, string? Measurement, ulong? PolicyVersion);
