namespace Carapace.Client.Profiles;

/// <summary>
/// Where the platform's KMS is and how to recognise it, as <c>carapace up</c> records it in <c>platform.json</c>.
/// </summary>
/// <param name="Url">The KMS's attested-TLS base address.</param>
/// <param name="Measurement">The KMS measurement the client expects, as written by <c>carapace up</c>.</param>
/// <param name="QuotingKey">
/// The (simulated) quoting key that signs the KMS's evidence, as written by <c>carapace up</c> (base64); empty for a KMS in
/// a confidential VM, which is trusted by the TEE configuration the profile names instead.
/// </param>
public sealed record PlatformKms(string Url, string Measurement, string QuotingKey);
