namespace Carapace.Controller.Registry;

/// <summary>The stored code of an action: a module by hash, or a sequence's components.</summary>
/// <param name="Kind"><see cref="ActionKinds.Wasm"/> or <see cref="ActionKinds.Sequence"/>.</param>
/// <param name="ModuleSha256">Lower-case hex SHA-256 of the module (the content address of its blob); null for a sequence.</param>
/// <param name="ModuleSize">The module's size in bytes; 0 for a sequence.</param>
/// <param name="Components">A sequence's components in order; empty for a module.</param>
/// <param name="Image">The file-system image mounted at /data, if any (only for a module).</param>
/// <param name="Main">A JavaScript action's entry point (<c>exec.main</c>); null for other kinds.</param>
public sealed record ActionCode(string Kind, string? ModuleSha256, long ModuleSize, IReadOnlyList<ActionName> Components, ActionImage? Image = null, string? Main = null)
{
    /// <summary>True for a sequence.</summary>
    public bool IsSequence => Kind == ActionKinds.Sequence;

    /// <summary>True for a JavaScript action (OpenWhisk's <c>nodejs</c> kinds): the module blob is its source, run by the JavaScript enclave.</summary>
    public bool IsJavaScript => ActionKinds.IsNodeJs(Kind);
}
