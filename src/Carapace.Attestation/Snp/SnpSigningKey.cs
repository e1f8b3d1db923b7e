namespace Carapace.Attestation.Snp;

/// <summary>Which key signed an SEV-SNP report: SIGNER_INFO bits 4:2 (values 2–6 are reserved).</summary>
public enum SnpSigningKey
{
    /// <summary>The chip's Versioned Chip Endorsement Key, certified by AMD's ASK and ARK.</summary>
    Vcek = 0,

    /// <summary>A Versioned Loaded Endorsement Key provisioned by a cloud provider, certified by AMD's ASVK.</summary>
    Vlek = 1,

    /// <summary>The report is not signed.</summary>
    None = 7,
}
