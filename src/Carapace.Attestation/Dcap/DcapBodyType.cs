namespace Carapace.Attestation.Dcap;

/// <summary>The report a DCAP quote carries, as named by the version 5 body descriptor.</summary>
public enum DcapBodyType
{
    /// <summary>An SGX enclave report (384 bytes): quote version 3, version 4 with TEE type 0, or version 5 body type 1.</summary>
    Sgx = 1,

    /// <summary>A TDX 1.0 TD report (584 bytes): quote version 4 with TEE type 0x81, or version 5 body type 2.</summary>
    Tdx10 = 2,

    /// <summary>A TDX 1.5 TD report (648 bytes: the 1.0 report, TEE_TCB_SVN2 and MRSERVICETD): quote version 5 body type 3.</summary>
    Tdx15 = 3,
}
