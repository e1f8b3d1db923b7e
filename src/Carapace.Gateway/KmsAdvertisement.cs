namespace Carapace.Gateway;

/// <summary>
/// What the gateway tells clients about the platform's KMS: where it listens, the measurement it attests and the
/// simulation quoting key its evidence is signed with. Clients do not take the gateway's word for it: they connect
/// to the KMS over attested TLS and check its evidence against this measurement and key (which they pin).
/// </summary>
/// <param name="Url">The KMS's HTTPS endpoint.</param>
/// <param name="Measurement">The KMS measurement, lower-case hex.</param>
/// <param name="QuotingKey">The simulated quoting service's public key (DER SubjectPublicKeyInfo); empty on hardware.</param>
public sealed record KmsAdvertisement(Uri Url, string Measurement, ReadOnlyMemory<byte> QuotingKey);
