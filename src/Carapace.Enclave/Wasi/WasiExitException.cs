namespace Carapace.Enclave.Wasi;

/// <summary>
/// Thrown by <c>proc_exit</c> to unwind the guest. Wasmtime turns it into a trap, so the embedder's call of
/// <c>_start</c> throws a <c>WasmtimeException</c> whose <see cref="Exception.InnerException"/> is this exception;
/// the code is also recorded in <see cref="WasiContext.ExitCode"/>, which is the place to read it from.
/// </summary>
/// <param name="exitCode">The code the guest passed to <c>proc_exit</c>.</param>
public sealed class WasiExitException(int exitCode) : Exception($"the guest called proc_exit({exitCode})")
{
    /// <summary>The exit code the guest passed to <c>proc_exit</c>.</summary>
    public int ExitCode { get; } = exitCode;
}
