using Carapace.Controller.Registry;
using Carapace.Functions;
using Carapace.Functions.Modules;

namespace Carapace.Gateway.Actions;

/// <summary>
/// The registry's <see cref="IActionValidator"/> at the gateway: a module must be a WASI preview 1 command module the
/// enclave can run (<see cref="CommandModule"/>), and an action as it would be stored must make a valid function —
/// its <c>carapace.env</c> by <see cref="ActionEnvironment"/>, its manifest by <see cref="ActionManifest.For"/>, and
/// its module's initial memory within <c>limits.memory</c>. Every message names the field.
/// </summary>
internal sealed class ActionRules : IActionValidator
{
    public IReadOnlyList<string> CheckModule(ReadOnlySpan<byte> module)
    {
        var validation = CommandModule.Validate(module);
        return validation.IsValid ? [] : [validation.Describe("'exec.code'")];
    }

    public IReadOnlyList<string> CheckAction(ActionRecord action, ReadOnlySpan<byte> module)
    {
        ArgumentNullException.ThrowIfNull(action);
        var problems = new List<string>();
        IReadOnlyList<KeyValuePair<string, string>>? environment = [];
        if (action.Annotations.FirstOrDefault(a => a.Key == ActionEnvironment.Annotation) is { } env)
        {
            environment = ActionEnvironment.Parse(env.Value, problems);
        }

        if (action.Annotations.FirstOrDefault(a => a.Key == ActionMount.Annotation) is { } mount)
        {
            ActionMount.Parse(mount.Value, problems);
            if (action.Exec.Image is null)
            {
                problems.Add($"'{ActionMount.Annotation}' says where the action's image is mounted, but the action has no image ('exec.image').");
            }
        }

        if (action.Annotations.FirstOrDefault(a => a.Key == SealedCode.Annotation) is { } code)
        {
            SealedCode.ParseAnnotation(code.Value, problems);
            if (action.Exec.Image is null || !action.Confidential)
            {
                problems.Add($"'{SealedCode.Annotation}' says the action's module is sealed in its image, so the action must be confidential and have an image ('exec.image').");
            }

            if (action.Exec.IsJavaScript ? !SealedCode.IsJavaScriptStub(module) : !action.Exec.IsSequence && !SealedCode.IsPublicStub(module))
            {
                problems.Add($"'{SealedCode.Annotation}' says the action's module is sealed in its image, so 'exec.code' must be Carapace's public sealed-code stub, not a module of its own.");
            }
        }

        if (action.Exec.IsSequence || environment is null)
        {
            return problems;
        }

        try
        {
            ActionManifest.For(action.Name.Name, action.Limits.MemoryMiB, action.Limits.TimeoutMs, environment);
        }
        catch (ArgumentException e)
        {
            problems.Add($"The action makes no valid function: {e.Message}.");
        }

        if (action.Exec.IsJavaScript)
        {
            // JavaScript source: its syntax is the enclave's to judge (a parse error is the activation's error, as in
            // OpenWhisk), and a source that is not UTF-8 cannot have come from the JSON body.
            return problems;
        }

        CheckMemory(action, module, problems);
        return problems;
    }

    private static void CheckMemory(ActionRecord action, ReadOnlySpan<byte> module, List<string> problems)
    {
        ModuleInterface parsed;
        try
        {
            parsed = ModuleInterface.Parse(module);
        }
        catch (ModuleFormatException e)
        {
            // Only a module stored before modules were checked can get here.
            problems.Add($"The stored module cannot be read ({e.Message}); PUT 'exec.code' again with a WebAssembly command module.");
            return;
        }

        var initial = parsed.Exports.FirstOrDefault(e => e is { Name: CommandModule.MemoryExport, Kind: ExternalKind.Memory })?.Memory?.MinimumBytes ?? 0;
        var limit = (ulong)action.Limits.MemoryMiB << 20;
        if (initial > limit)
        {
            problems.Add($"'exec.code' needs {(initial + (1UL << 20) - 1) >> 20} MiB of memory to start, more than 'limits.memory' {action.Limits.MemoryMiB} MB; "
                + "raise 'limits.memory' or give the module a smaller initial memory.");
        }
    }
}
