using Carapace.Enclave.Host;
using Carapace.Enclave.Runtime;
using Carapace.Functions;

namespace Carapace.Enclave.Js;

/// <summary>The JavaScript enclave (<c>Carapace.Enclave.Js</c>): Jint, compiled into the one executable.</summary>
internal sealed class JsFlavor : EnclaveFlavor
{
    public override EnclaveRuntime Runtime => EnclaveRuntime.JavaScript;

    public override IReadOnlyList<string> JitFiles(string directory) => [Path.Combine(directory, "Carapace.Enclave.Js.dll")];

    /// <summary>Nothing to load: Jint is part of the executable, and the warm-up runs its first script.</summary>
    public override void Prepare()
    {
    }

    public override IFunctionEngine CreateEngine(SimulatedPlatform platform, byte[] runtimeIdentity) => new JsEngine();
}
