using Carapace.Enclave.Functions.Modules;

namespace Carapace.Fuzz.Targets;

/// <summary>The code of a <c>wasm:wasi</c> action: checked by the gateway at PUT and by the CLI and SDK before uploading.</summary>
internal static class ModuleTargets
{
    public static IEnumerable<FuzzTarget> All()
    {
        yield return new FuzzTarget(
            "wasm-interface",
            "ModuleInterface.Parse: the bounded reader of a module's type, import, function, table, memory and export sections",
            input => ModuleInterface.Parse(input),
            [typeof(ModuleFormatException)]);
        yield return new FuzzTarget(
            "wasm-command",
            "CommandModule.Validate: the whole PUT-time check (header, Wasmtime's validator, the interface rules); problems are a result, never thrown",
            Validate,
            []);
    }

    /// <summary>Validates and renders the message a user would get (which quotes the file's first bytes when it is no module).</summary>
    private static void Validate(byte[] input) => _ = CommandModule.Validate(input).Describe("the fuzzed module");
}
