namespace Carapace.Functions.Modules;

/// <summary>What an import or export is.</summary>
public enum ExternalKind
{
    /// <summary>A function.</summary>
    Function,

    /// <summary>A table.</summary>
    Table,

    /// <summary>A linear memory.</summary>
    Memory,

    /// <summary>A global.</summary>
    Global,

    /// <summary>An exception tag.</summary>
    Tag,
}
