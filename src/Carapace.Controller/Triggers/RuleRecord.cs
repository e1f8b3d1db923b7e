using Carapace.Controller.Registry;

namespace Carapace.Controller.Triggers;

/// <summary>Whether a rule's trigger fires its action.</summary>
public enum RuleStatus
{
    /// <summary>Firing the trigger invokes the action (<c>"active"</c>).</summary>
    Active,

    /// <summary>Firing the trigger leaves the action alone (<c>"inactive"</c>).</summary>
    Inactive,
}

/// <summary>The wire form of <see cref="RuleStatus"/>: OpenWhisk's <c>active</c> and <c>inactive</c>.</summary>
public static class RuleStatusText
{
    /// <summary><c>active</c> or <c>inactive</c>.</summary>
    public static string ToWire(this RuleStatus status) => status == RuleStatus.Active ? "active" : "inactive";

    /// <summary>Parses <c>active</c> or <c>inactive</c>.</summary>
    public static bool TryParse(string? text, out RuleStatus status)
    {
        status = text == "active" ? RuleStatus.Active : RuleStatus.Inactive;
        return text is "active" or "inactive";
    }
}

/// <summary>
/// A rule as the registry stores it: it links a trigger of its namespace to an action (or sequence) and has a status.
/// As in OpenWhisk, a rule whose trigger is missing is inactive, and one whose action is missing stays in place (firing
/// records the failure).
/// </summary>
public sealed record RuleRecord
{
    /// <summary>The namespace.</summary>
    public required string Namespace { get; init; }

    /// <summary>The rule's name within its namespace.</summary>
    public required string Name { get; init; }

    /// <summary>The semver-like version.</summary>
    public required string Version { get; init; }

    /// <summary>The trigger's name, in the rule's namespace.</summary>
    public required string Trigger { get; init; }

    /// <summary>The action it invokes: <c>/namespace/name</c> or <c>/namespace/package/name</c>.</summary>
    public required ActionName Action { get; init; }

    /// <summary>Whether firing the trigger invokes the action.</summary>
    public required RuleStatus Status { get; init; }

    /// <summary>The annotations.</summary>
    public required IReadOnlyList<KeyValue> Annotations { get; init; }

    /// <summary>OpenWhisk's <c>publish</c> flag (stored and shown).</summary>
    public required bool Publish { get; init; }

    /// <summary>When the rule was last created or updated.</summary>
    public required DateTimeOffset Updated { get; init; }
}

/// <summary>The body of a rule PUT: properties left null keep their stored value on an update; trigger and action are required on create.</summary>
public sealed record RuleDefinition
{
    /// <summary>The trigger's name in the rule's namespace, or null to keep the stored one.</summary>
    public string? Trigger { get; init; }

    /// <summary>The action, or null to keep the stored one.</summary>
    public ActionName? Action { get; init; }

    /// <summary>The annotations, or null to keep the stored ones.</summary>
    public IReadOnlyList<KeyValue>? Annotations { get; init; }

    /// <summary>The publish flag, or null to keep the stored one.</summary>
    public bool? Publish { get; init; }
}
