namespace Carapace.Controller.Registry;

/// <summary>
/// What the registry cannot judge by itself, given by its owner: whether a module is code the platform can run, and
/// whether an action as it would be stored (the new fields merged over the stored ones) makes a function the
/// platform can build — its annotations the platform interprets (the environment), its limits and its module
/// together. The gateway supplies the implementation; a registry without one checks only names, kinds, limits,
/// sizes and the shape of annotations and parameters.
/// </summary>
public interface IActionValidator
{
    /// <summary>Every problem with <paramref name="module"/> as the code of a <c>wasm:wasi</c> action, one sentence each naming the field; empty when it can run.</summary>
    IReadOnlyList<string> CheckModule(ReadOnlySpan<byte> module);

    /// <summary>
    /// Every problem with <paramref name="action"/> as it would be stored, one sentence each naming the field; empty
    /// when valid. <paramref name="module"/> is its module (new or kept; empty for a sequence), already accepted by
    /// <see cref="CheckModule"/> when new — only what depends on the other fields is checked again.
    /// </summary>
    IReadOnlyList<string> CheckAction(ActionRecord action, ReadOnlySpan<byte> module);
}
