namespace Carapace.Attestation;

/// <summary>The kind of attestation evidence, which decides the verifier that can check it.</summary>
public enum EvidenceKind
{
    /// <summary>Carapace simulation evidence signed by a software quoting key. Never secure.</summary>
    Simulation,

    /// <summary>Intel SGX DCAP ECDSA quote (version 3, or version 5 with an SGX body).</summary>
    Sgx,

    /// <summary>Intel TDX DCAP ECDSA quote (version 4, or version 5 with a TDX body).</summary>
    Tdx,

    /// <summary>AMD SEV-SNP attestation report signed by a VCEK.</summary>
    SevSnp,

    /// <summary>AWS Nitro Enclaves attestation document (COSE_Sign1 over CBOR).</summary>
    Nitro,

    /// <summary>An X.509 certificate carrying evidence over its own public key (RA-TLS).</summary>
    RaTls,

    /// <summary>Bytes whose format could not be recognised; only ever the kind of a rejection.</summary>
    Unknown,
}
