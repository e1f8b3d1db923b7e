namespace Carapace.Client.Deployment;

/// <summary>A step of a deployment, for progress displays.</summary>
/// <param name="Stage">What is happening.</param>
/// <param name="Sent">While uploading: bytes of the request sent.</param>
/// <param name="Total">While uploading: bytes of the whole request.</param>
public readonly record struct DeployProgress(DeployStage Stage, long Sent = 0, long Total = 0);
