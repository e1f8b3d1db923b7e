namespace Carapace.Protocol;

/// <summary>
/// Where one invocation's time went inside the enclave, in microseconds, reported beside <see cref="ResourceUsage"/>
/// for the worker's telemetry. Durations only: opening the input and sealing the output scale with envelope sizes the
/// platform already sees, and the run time is <see cref="ResourceUsage.WallMicroseconds"/>, which crosses anyway.
/// Not part of the signed receipt (the receipt's own signing is one of the stages).
/// </summary>
/// <param name="OpenMicroseconds">Resolving the edge keys and opening (authenticating, decrypting) the input envelope.</param>
/// <param name="SealMicroseconds">Sealing the output and log envelopes.</param>
/// <param name="ReceiptMicroseconds">Issuing and signing the receipt (0 without receipts).</param>
/// <param name="TotalMicroseconds">The whole invocation in the enclave, from the input's arrival to the result's.</param>
public readonly record struct EnclaveTimings(long OpenMicroseconds, long SealMicroseconds, long ReceiptMicroseconds, long TotalMicroseconds);
