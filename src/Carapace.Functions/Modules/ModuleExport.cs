namespace Carapace.Functions.Modules;

/// <summary>One export of a module.</summary>
/// <param name="Name">The exported name.</param>
/// <param name="Kind">What is exported.</param>
/// <param name="Signature">The function's type, for an exported function; otherwise null.</param>
/// <param name="Memory">The memory's type, for an exported memory; otherwise null.</param>
public sealed record ModuleExport(string Name, ExternalKind Kind, FunctionSignature? Signature, MemoryType? Memory);
