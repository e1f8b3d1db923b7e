namespace Carapace.Controller.Registry;

/// <summary>
/// Expands a sequence into the module actions it runs, depth first, within bounds: at most
/// <see cref="ActionExec.MaxSequenceSteps"/> steps after nested sequences are flattened, nested at most
/// <see cref="ActionExec.MaxSequenceDepth"/> deep, without cycles. It stops at the first step or level over a bound, so
/// the work and memory of one expansion are bounded however the stored sequences nest, and it stops when
/// <c>cancellationToken</c> fires.
/// </summary>
/// <remarks>
/// The bound on steps is OpenWhisk's <c>actionSequenceLimit</c> (<c>limits.actions.sequence.maxLength</c>, 50), which
/// OpenWhisk applies to the atomic actions of a sequence with its nested sequences inlined, both when the sequence is
/// stored and while it runs. Components can change after a sequence was stored, so the registry checks at both times too.
/// </remarks>
internal sealed class SequenceExpansion
{
    private readonly Func<ActionName, ActionRecord?> _read;
    private readonly CancellationToken _cancellationToken;
    private readonly List<ActionRecord> _steps = [];
    private readonly HashSet<ActionName> _path = [];
    private ActionRecord _root = null!;
    private ActionName _via;

    private SequenceExpansion(Func<ActionName, ActionRecord?> read, CancellationToken cancellationToken)
    {
        _read = read;
        _cancellationToken = cancellationToken;
    }

    /// <summary>
    /// The steps of <paramref name="root"/>, reading each component through <paramref name="read"/> (null: it does not
    /// exist); a module action expands to itself.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired.</exception>
    public static SequenceResolution Expand(ActionRecord root, Func<ActionName, ActionRecord?> read, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(read);
        var expansion = new SequenceExpansion(read, cancellationToken) { _root = root, _via = root.Name };
        var failure = expansion.Visit(root, depth: 1);
        return (failure ?? new SequenceResolution { Status = SequenceResolutionStatus.Resolved, Steps = expansion._steps }) with { Root = root };
    }

    private SequenceResolution? Visit(ActionRecord action, int depth)
    {
        _cancellationToken.ThrowIfCancellationRequested();
        if (!action.Exec.IsSequence)
        {
            if (_steps.Count == ActionExec.MaxSequenceSteps)
            {
                return Fail(SequenceResolutionStatus.TooLong,
                    $"The sequence {_root.Name} expands to more than {ActionExec.MaxSequenceSteps} actions (nested sequences count with all "
                    + $"their components); a sequence runs at most {ActionExec.MaxSequenceSteps} actions. Shorten it or split it into several invocations.");
            }

            _steps.Add(action);
            return null;
        }

        if (!_path.Add(action.Name))
        {
            return Fail(SequenceResolutionStatus.Cycle,
                $"The sequence {_root.Name} would contain itself through {_via}; sequences may not form cycles.");
        }

        if (depth > ActionExec.MaxSequenceDepth)
        {
            return Fail(SequenceResolutionStatus.TooLong,
                $"The sequence {_root.Name} nests sequences more than {ActionExec.MaxSequenceDepth} deep (through {_via}); "
                + $"sequences may nest at most {ActionExec.MaxSequenceDepth} levels. Flatten it.");
        }

        foreach (var component in action.Exec.Components)
        {
            if (depth == 1)
            {
                _via = component;
            }

            var next = _read(component);
            if (next is null)
            {
                return Fail(SequenceResolutionStatus.UnknownComponent, $"Sequence component {component} of {action.Name} does not exist.");
            }

            if (Visit(next, depth + 1) is { } failure)
            {
                return failure;
            }
        }

        _path.Remove(action.Name);
        return null;
    }

    private static SequenceResolution Fail(SequenceResolutionStatus status, string error) => new() { Status = status, Error = error };
}
