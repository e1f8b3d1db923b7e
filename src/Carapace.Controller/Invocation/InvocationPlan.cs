using Carapace.Controller.Registry;

namespace Carapace.Controller.Invocation;

/// <summary>
/// What an invocation of one action runs, resolved once (<see cref="InvocationService.Plan"/>): the action, its module
/// steps in order (a sequence flattened, at most <see cref="ActionExec.MaxSequenceSteps"/>), and whether its payloads
/// are sealed. The edge resolves it to learn how to take the request's body, then hands the same plan to the
/// controller, so both act on one view of the registry.
/// </summary>
public sealed class InvocationPlan
{
    internal InvocationPlan(ActionRecord root, IReadOnlyList<ActionRecord> steps, bool confidential)
    {
        Root = root;
        Steps = steps;
        Confidential = confidential;
    }

    /// <summary>The invoked action (a module action, or the sequence itself).</summary>
    public ActionRecord Root { get; }

    /// <summary>The module actions to run, in order; a module action's only step is itself.</summary>
    public IReadOnlyList<ActionRecord> Steps { get; }

    /// <summary>The first step, which takes the request's input.</summary>
    public ActionRecord First => Steps[0];

    /// <summary>True when every step is confidential (inputs and outputs are envelopes only enclaves open).</summary>
    public bool Confidential { get; }

    /// <summary>True when the invoked action is a sequence.</summary>
    public bool IsSequence => Root.Exec.IsSequence;

    /// <summary>The chain the invocation's envelopes travel: the invoked action's name.</summary>
    public string Chain => InvocationService.ChainIdOf(Root.Name);

    /// <summary>The chain the input envelope must be sealed for: the action's own for a confidential one, the first step's for a plaintext sequence.</summary>
    public string EntryChain => Confidential ? Chain : InvocationService.ChainIdOf(First.Name);
}
