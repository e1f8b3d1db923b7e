using System.Security.Cryptography.X509Certificates;

namespace Carapace.Attestation;

/// <summary>The certificates an AMD SEV-SNP report is checked with.</summary>
/// <param name="Vcek">The chip's versioned endorsement key certificate (signs the report).</param>
/// <param name="Intermediates">The ASK (and optionally ARK) as served by AMD KDS; the ARK is always taken from the pinned roots.</param>
public sealed record SnpCollateral(X509Certificate2 Vcek, X509Certificate2Collection? Intermediates = null);
