namespace Carapace.Gateway;

/// <summary>What <c>GET /api/v1/carapace/info</c> reports about the platform behind the gateway.</summary>
/// <param name="Kms">The supervised KMS's health (with where it is now); null when the KMS is not supervised.</param>
/// <param name="StemCells">The stem-cell pool; null when there is no worker.</param>
public sealed record PlatformHealth(KmsHealthReport? Kms, StemCellHealth? StemCells);
