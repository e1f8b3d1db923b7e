namespace Carapace.Functions.Modules;

/// <summary>One import of a module.</summary>
/// <param name="Module">The module name it is imported from (e.g. <c>wasi_snapshot_preview1</c>).</param>
/// <param name="Name">The imported name.</param>
/// <param name="Kind">What is imported.</param>
/// <param name="Signature">The function's type, for a function whose type is a function type; otherwise null.</param>
public sealed record ModuleImport(string Module, string Name, ExternalKind Kind, FunctionSignature? Signature);
