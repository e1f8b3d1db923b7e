using Carapace.Enclave.Runtime;
using Carapace.Functions;

namespace Carapace.Enclave.Host;

/// <summary>
/// The part of an enclave program that differs between its two builds: which runtime it is and how it makes its
/// engine. <see cref="Prepare"/> runs first thing (on a thread of its own where it pays), so that loading the engine
/// overlaps the TEE, the runtime identity and the keys; <see cref="CreateEngine"/> then finishes it.
/// </summary>
internal abstract class EnclaveFlavor
{
    /// <summary>The runtime this program is.</summary>
    public abstract EnclaveRuntime Runtime { get; }

    /// <summary>The files the JIT build of this program hashes in place of <see cref="EnclaveRuntime.Files"/> (benchmark comparisons only).</summary>
    public abstract IReadOnlyList<string> JitFiles(string directory);

    /// <summary>Starts making the engine.</summary>
    public abstract void Prepare();

    /// <summary>The engine, with a module cache keyed to this platform and runtime where the engine has one.</summary>
    public abstract IFunctionEngine CreateEngine(SimulatedPlatform platform, byte[] runtimeIdentity);
}
