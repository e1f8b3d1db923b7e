namespace Carapace.Attestation.ConfigFsTsm;

/// <summary>One report read from a Linux configfs-tsm report entry.</summary>
/// <param name="Kind">The evidence kind implied by <paramref name="Provider"/>.</param>
/// <param name="Provider">The entry's <c>provider</c> attribute (<c>tdx_guest</c>, <c>sev_guest</c>).</param>
/// <param name="OutBlob">The attestation report or quote (<c>outblob</c>).</param>
/// <param name="AuxBlob">Supplemental data (<c>auxblob</c>; for <c>sev_guest</c> the certificate table), empty when the provider has none.</param>
/// <param name="Generation">The entry's <c>generation</c> after the report was read.</param>
public sealed record ConfigFsTsmReport(EvidenceKind Kind, string Provider, ReadOnlyMemory<byte> OutBlob, ReadOnlyMemory<byte> AuxBlob, ulong Generation);
