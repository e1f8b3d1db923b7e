using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace Carapace.Cli.Tcb;

/// <summary>A source line that holds a statement: a file under <c>src/</c> (path from <c>src/</c> on) and a line number.</summary>
internal readonly record struct StatementLine(string File, int Line);

/// <summary>
/// The statement lines of built Carapace assemblies, from their portable PDBs' sequence points: every line a
/// sequence point of a method covers, in files under <c>src/</c> (code generated at build time is not counted).
/// Counting the same way for the whole tree and for the methods compiled into the native enclave gives the share of
/// Carapace's code that runs in the enclave.
/// </summary>
internal static class StatementLines
{
    /// <summary>The statement lines of each method of the assembly <paramref name="dllPath"/>, by method.</summary>
    /// <exception cref="InvalidDataException">The assembly has no portable PDB beside it.</exception>
    public static IReadOnlyDictionary<MethodKey, IReadOnlyList<StatementLine>> Read(string dllPath)
    {
        using var stream = File.OpenRead(dllPath);
        using var pe = new PEReader(stream);
        if (!pe.TryOpenAssociatedPortablePdb(dllPath, path => File.Exists(path) ? File.OpenRead(path) : null, out var provider, out _) || provider is null)
        {
            throw new InvalidDataException($"{dllPath} has no portable PDB beside it; build with symbols (the default) to count statement lines");
        }

        using (provider)
        {
            var md = pe.GetMetadataReader();
            var pdb = provider.GetMetadataReader();
            var assembly = md.GetString(md.GetAssemblyDefinition().Name);
            var documents = new Dictionary<DocumentHandle, string?>();
            var methods = new Dictionary<MethodKey, IReadOnlyList<StatementLine>>();
            foreach (var typeHandle in md.TypeDefinitions)
            {
                var type = md.GetTypeDefinition(typeHandle);
                var typeName = FullName(md, type);
                foreach (var methodHandle in type.GetMethods())
                {
                    var method = md.GetMethodDefinition(methodHandle);
                    var lines = new List<StatementLine>();
                    foreach (var point in pdb.GetMethodDebugInformation(methodHandle.ToDebugInformationHandle()).GetSequencePoints())
                    {
                        if (point.IsHidden)
                        {
                            continue;
                        }

                        if (!documents.TryGetValue(point.Document, out var file))
                        {
                            file = SourcePath(pdb.GetString(pdb.GetDocument(point.Document).Name));
                            documents[point.Document] = file;
                        }

                        if (file is null)
                        {
                            continue;
                        }

                        for (var line = point.StartLine; line <= point.EndLine; line++)
                        {
                            lines.Add(new StatementLine(file, line));
                        }
                    }

                    if (lines.Count == 0)
                    {
                        continue;
                    }

                    var key = new MethodKey(assembly, typeName, md.GetString(method.Name), Parameters(md, method));
                    methods[key] = methods.TryGetValue(key, out var overload) ? [.. overload, .. lines] : lines;
                }
            }

            return methods;
        }
    }

    /// <summary>The path from <c>src/</c> on, or null for a file elsewhere (generated at build time, or a package's).</summary>
    internal static string? SourcePath(string documentPath)
    {
        var path = documentPath.Replace('\\', '/');
        int start;
        if (path.StartsWith("src/Carapace.", StringComparison.Ordinal))
        {
            start = 0;
        }
        else
        {
            var at = path.LastIndexOf("/src/Carapace.", StringComparison.Ordinal);
            if (at < 0)
            {
                return null;
            }

            start = at + 1;
        }

        var relative = path[start..];
        return relative.Contains("/obj/", StringComparison.Ordinal) || relative.Contains("/bin/", StringComparison.Ordinal) ? null : relative;
    }

    private static string FullName(MetadataReader md, TypeDefinition type)
    {
        var name = md.GetString(type.Name);
        var declaring = type.GetDeclaringType();
        if (!declaring.IsNil)
        {
            return FullName(md, md.GetTypeDefinition(declaring)) + "/" + name;
        }

        var ns = md.GetString(type.Namespace);
        return ns.Length == 0 ? name : ns + "." + name;
    }

    /// <summary>The number of parameters in a method's signature blob (ECMA-335 II.23.2.1).</summary>
    private static int Parameters(MetadataReader md, MethodDefinition method)
    {
        var blob = md.GetBlobReader(method.Signature);
        var header = blob.ReadSignatureHeader();
        if (header.IsGeneric)
        {
            blob.ReadCompressedInteger();
        }

        return blob.ReadCompressedInteger();
    }
}
