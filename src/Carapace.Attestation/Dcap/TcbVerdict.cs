namespace Carapace.Attestation.Dcap;

/// <summary>The outcome of Intel's TCB evaluation for a quote.</summary>
/// <param name="Status">The converged status (platform level, TDX module, quoting enclave).</param>
/// <param name="Advisories">The advisories of the selected platform level, TDX module level and QE level, without repeats.</param>
/// <param name="TcbDate">The date of the selected platform level.</param>
/// <param name="QeLevel">The quoting enclave's TCB level.</param>
internal sealed record TcbVerdict(TcbStatus Status, IReadOnlyList<string> Advisories, DateTimeOffset TcbDate, IsvTcbLevel QeLevel);
