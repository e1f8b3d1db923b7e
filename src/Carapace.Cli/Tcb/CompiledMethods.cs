using System.Collections.Immutable;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace Carapace.Cli.Tcb;

/// <summary>A method by the names that identify it across assemblies: assembly, type (nested types after '/'), name, arity.</summary>
internal sealed record MethodKey(string Assembly, string Type, string Name, int Parameters);

/// <summary>
/// The methods NativeAOT compiled into a native binary, read from the <c>.mstat</c> file ILC writes beside it
/// (<c>IlcGenerateMstatFile</c>): an ECMA-335 assembly whose <c>&lt;Module&gt;.Methods</c> body is a list of
/// <c>ldtoken</c> of each compiled method, each followed by its sizes as constants.
/// </summary>
/// <remarks>
/// Generic instantiations count as their definition; overloads with the same number of parameters are not told apart
/// (they are all counted as compiled), so the set errs on the side of more trusted code, never less.
/// </remarks>
internal static class CompiledMethods
{
    /// <summary>Reads the compiled methods of assemblies whose names start with <paramref name="assemblyPrefix"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not an mstat file this reader understands.</exception>
    public static IReadOnlySet<MethodKey> Read(string mstatPath, string assemblyPrefix)
    {
        using var stream = File.OpenRead(mstatPath);
        using var pe = new PEReader(stream);
        if (!pe.HasMetadata)
        {
            throw new InvalidDataException($"{mstatPath} is not an mstat file (no metadata)");
        }

        var md = pe.GetMetadataReader();
        var methods = md.GetTypeDefinition(MetadataTokens.TypeDefinitionHandle(1)).GetMethods()
            .Select(md.GetMethodDefinition)
            .FirstOrDefault(m => md.StringComparer.Equals(m.Name, "Methods"));
        if (methods.RelativeVirtualAddress == 0)
        {
            throw new InvalidDataException($"{mstatPath} is not an mstat file (no <Module>.Methods)");
        }

        var names = new Names(md);
        var compiled = new HashSet<MethodKey>();
        var il = pe.GetMethodBody(methods.RelativeVirtualAddress).GetILReader();
        while (il.RemainingBytes > 0)
        {
            var opcode = il.ReadByte();
            switch (opcode)
            {
                case 0xD0: // ldtoken
                    if (names.Method(MetadataTokens.EntityHandle(il.ReadInt32())) is { } key && key.Assembly.StartsWith(assemblyPrefix, StringComparison.Ordinal))
                    {
                        compiled.Add(key);
                    }

                    break;
                case 0x20: // ldc.i4
                case 0x72: // ldstr
                case 0x28: // call
                    il.ReadInt32();
                    break;
                case 0x1F: // ldc.i4.s
                    il.ReadByte();
                    break;
                case 0x00: // nop
                case 0x26: // pop
                case 0x2A: // ret
                case >= 0x15 and <= 0x1E: // ldc.i4.m1 … ldc.i4.8
                    break;
                default:
                    throw new InvalidDataException($"{mstatPath}: unexpected IL opcode 0x{opcode:X2} in <Module>.Methods; this mstat format is not one 'tcb' reads");
            }
        }

        return compiled;
    }

    /// <summary>Names of the methods an mstat file references, resolved through its member and type references.</summary>
    private sealed class Names(MetadataReader md) : ISignatureTypeProvider<TypeName?, object?>
    {
        public MethodKey? Method(EntityHandle handle)
        {
            switch (handle.Kind)
            {
                case HandleKind.MethodSpecification:
                    return Method(md.GetMethodSpecification((MethodSpecificationHandle)handle).Method);
                case HandleKind.MemberReference:
                    var member = md.GetMemberReference((MemberReferenceHandle)handle);
                    if (member.GetKind() != MemberReferenceKind.Method)
                    {
                        return null;
                    }

                    var type = Type(member.Parent);
                    var signature = member.DecodeMethodSignature(this, null);
                    return type is null ? null : new MethodKey(type.Assembly, type.FullName, md.GetString(member.Name), signature.ParameterTypes.Length);
                default:
                    return null; // methods of the mstat itself, fields and types: not compiled Carapace methods
            }
        }

        private TypeName? Type(EntityHandle handle) => handle.Kind switch
        {
            HandleKind.TypeReference => Reference((TypeReferenceHandle)handle),
            HandleKind.TypeSpecification => md.GetTypeSpecification((TypeSpecificationHandle)handle).DecodeSignature(this, null),
            _ => null,
        };

        private TypeName? Reference(TypeReferenceHandle handle)
        {
            var reference = md.GetTypeReference(handle);
            var name = md.GetString(reference.Name);
            switch (reference.ResolutionScope.Kind)
            {
                case HandleKind.AssemblyReference:
                    var ns = md.GetString(reference.Namespace);
                    var assembly = md.GetString(md.GetAssemblyReference((AssemblyReferenceHandle)reference.ResolutionScope).Name);
                    return new TypeName(assembly, ns.Length == 0 ? name : ns + "." + name);
                case HandleKind.TypeReference:
                    return Reference((TypeReferenceHandle)reference.ResolutionScope) is { } outer ? outer with { FullName = outer.FullName + "/" + name } : null;
                default:
                    return null;
            }
        }

        public TypeName? GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => Reference(handle);

        public TypeName? GetGenericInstantiation(TypeName? genericType, ImmutableArray<TypeName?> typeArguments) => genericType;

        public TypeName? GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) => null;

        public TypeName? GetTypeFromSpecification(MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind) =>
            Type(handle);

        public TypeName? GetPrimitiveType(PrimitiveTypeCode typeCode) => null;

        public TypeName? GetSZArrayType(TypeName? elementType) => null;

        public TypeName? GetArrayType(TypeName? elementType, ArrayShape shape) => null;

        public TypeName? GetByReferenceType(TypeName? elementType) => null;

        public TypeName? GetPointerType(TypeName? elementType) => null;

        public TypeName? GetFunctionPointerType(MethodSignature<TypeName?> signature) => null;

        public TypeName? GetGenericMethodParameter(object? genericContext, int index) => null;

        public TypeName? GetGenericTypeParameter(object? genericContext, int index) => null;

        public TypeName? GetModifiedType(TypeName? modifier, TypeName? unmodifiedType, bool isRequired) => unmodifiedType;

        public TypeName? GetPinnedType(TypeName? elementType) => elementType;
    }

    /// <summary>A type by its assembly and full name (nested types after '/').</summary>
    private sealed record TypeName(string Assembly, string FullName);
}
