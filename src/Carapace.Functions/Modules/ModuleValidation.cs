namespace Carapace.Functions.Modules;

/// <summary>The outcome of <see cref="CommandModule.Validate"/>: every problem found, and what the module needs to run.</summary>
public sealed class ModuleValidation
{
    internal ModuleValidation(IReadOnlyList<string> problems, ModuleInterface? moduleInterface)
    {
        Problems = problems;
        Interface = moduleInterface;
    }

    /// <summary>True when the module is a command module Carapace can run.</summary>
    public bool IsValid => Problems.Count == 0;

    /// <summary>
    /// Every problem, each a predicate to put after the module's name ("is not a WebAssembly module (it starts with
    /// …)", "imports 'env.f', which Carapace does not provide"); empty when valid.
    /// </summary>
    public IReadOnlyList<string> Problems { get; }

    /// <summary>The module's imports and exports, when it could be read.</summary>
    public ModuleInterface? Interface { get; }

    /// <summary>The initial size of the exported memory in bytes (what an instance needs at least); 0 when unknown.</summary>
    public ulong InitialMemoryBytes =>
        Interface?.Exports.FirstOrDefault(e => e is { Name: CommandModule.MemoryExport, Kind: ExternalKind.Memory })?.Memory?.MinimumBytes ?? 0;

    /// <summary>
    /// One message for people: <paramref name="subject"/> (e.g. the file name, or <c>'exec.code'</c>), the problems,
    /// and what Carapace runs and how to build it; empty when valid.
    /// </summary>
    public string Describe(string subject) =>
        IsValid ? "" : $"{subject} {string.Join("; ", Problems)}. {CommandModule.Guidance}.";
}
