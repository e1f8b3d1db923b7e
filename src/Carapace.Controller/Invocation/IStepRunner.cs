using Carapace.Controller.Registry;
using Carapace.Worker.Pools;

namespace Carapace.Controller.Invocation;

/// <summary>
/// Where the controller hands one claimed step to a worker: the sealed input of one action's step goes to
/// an enclave of that action and its sealed result comes back. Embedded mode runs it on the process's own pools
/// (<see cref="ActionPools"/>); cluster mode places it on a worker node. Either way only sealed bytes and public
/// metadata pass, and the step runs at most once per call: nothing behind this interface retries.
/// </summary>
public interface IStepRunner
{
    /// <summary>Runs one step of <paramref name="action"/> on <paramref name="sealedInput"/>.</summary>
    /// <param name="action">The deployed action version whose enclaves run the step.</param>
    /// <param name="sealedInput">The step's sealed input envelope.</param>
    /// <param name="freshEnclave">
    /// True to retire the action's enclaves first, so that one specialised now (under the KMS's current policy) runs it;
    /// used once after an enclave held no key for the input.
    /// </param>
    /// <param name="cancellationToken">Fires when the platform shuts down.</param>
    /// <exception cref="Worker.Enclaves.EnclaveException">The enclave refused to specialise, or was lost (with its worker) during the step.</exception>
    /// <exception cref="KmsUnavailableException">A new enclave was needed and could not get its keys; nothing ran.</exception>
    /// <exception cref="ActionNotRunnableException">The stored action cannot be brought up in an enclave.</exception>
    Task<InvocationOutcome> RunAsync(ActionRecord action, ReadOnlyMemory<byte> sealedInput, bool freshEnclave, CancellationToken cancellationToken);
}
