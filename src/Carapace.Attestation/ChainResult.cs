using System.Security.Cryptography.X509Certificates;

namespace Carapace.Attestation;

/// <summary>A verified certificate chain.</summary>
/// <param name="Certificates">Leaf first, root last.</param>
/// <param name="ValidFrom">The latest NotBefore on the chain.</param>
/// <param name="ValidUntil">The earliest NotAfter on the chain.</param>
public sealed record ChainResult(IReadOnlyList<X509Certificate2> Certificates, DateTimeOffset ValidFrom, DateTimeOffset ValidUntil);
