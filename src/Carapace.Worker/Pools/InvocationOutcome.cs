using Carapace.Protocol;

namespace Carapace.Worker.Pools;

/// <summary>The result of one invocation as the worker saw it.</summary>
/// <param name="Result">The enclave's result (sealed output and log, status, usage).</param>
/// <param name="ColdStart">True when an enclave had to be specialised for this invocation.</param>
/// <param name="SpecializeMicroseconds">Time spent specialising (0 when warm).</param>
/// <param name="Prewarmed">For a cold start: whether a prewarmed stem cell was used (false: a process was started).</param>
/// <param name="EnclaveProcessId">The enclave that ran it.</param>
public sealed record InvocationOutcome(ResultMessage Result, bool ColdStart, long SpecializeMicroseconds, bool Prewarmed, int EnclaveProcessId);
