using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace Carapace.Tests;

/// <summary>
/// The types a compiled assembly's code actually references, read from its metadata: for each of its top-level types
/// (nested types, such as the compiler's closures and async state machines, count as their outermost type), every
/// type named by its base type and interfaces, custom attributes, field, property and method signatures, local
/// variables, and the tokens of its method bodies (calls, field accesses, allocations, casts, <c>typeof</c>), as
/// "Namespace.Name" of the type and the assembly that defines it. Generic arguments count as references too.
/// </summary>
internal sealed class ReferencedTypes
{
    private static readonly Dictionary<short, OperandType> s_operands = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(field => (OpCode)field.GetValue(null)!)
        .ToDictionary(code => code.Value, code => code.OperandType);

    private readonly Dictionary<string, HashSet<TypeUse>> _byType = [];

    private ReferencedTypes(string assemblyName) => AssemblyName = assemblyName;

    /// <summary>The simple name of the assembly read.</summary>
    public string AssemblyName { get; }

    /// <summary>Every top-level type of the assembly with the external types it references.</summary>
    public IReadOnlyDictionary<string, HashSet<TypeUse>> ByType => _byType;

    /// <summary>Every external type the assembly references, whichever of its types does.</summary>
    public IEnumerable<TypeUse> All => _byType.Values.SelectMany(uses => uses).Distinct();

    /// <summary>Reads the assembly at <paramref name="path"/>.</summary>
    public static ReferencedTypes Read(string path)
    {
        using var stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        var md = pe.GetMetadataReader();
        var result = new ReferencedTypes(md.GetString(md.GetAssemblyDefinition().Name));
        var provider = new NameProvider();
        foreach (var handle in md.TypeDefinitions)
        {
            var owner = result.Uses(OuterName(md, handle));
            var type = md.GetTypeDefinition(handle);
            provider.Sink = owner;
            Visit(md, provider, type.BaseType);
            foreach (var implementation in type.GetInterfaceImplementations())
            {
                Visit(md, provider, md.GetInterfaceImplementation(implementation).Interface);
            }

            VisitAttributes(md, provider, type.GetCustomAttributes());
            foreach (var fieldHandle in type.GetFields())
            {
                var field = md.GetFieldDefinition(fieldHandle);
                field.DecodeSignature(provider, null);
                VisitAttributes(md, provider, field.GetCustomAttributes());
            }

            foreach (var propertyHandle in type.GetProperties())
            {
                md.GetPropertyDefinition(propertyHandle).DecodeSignature(provider, null);
            }

            foreach (var methodHandle in type.GetMethods())
            {
                var method = md.GetMethodDefinition(methodHandle);
                method.DecodeSignature(provider, null);
                VisitAttributes(md, provider, method.GetCustomAttributes());
                if (method.RelativeVirtualAddress != 0)
                {
                    VisitBody(md, provider, pe.GetMethodBody(method.RelativeVirtualAddress));
                }
            }
        }

        return result;
    }

    private HashSet<TypeUse> Uses(string type)
    {
        if (!_byType.TryGetValue(type, out var uses))
        {
            _byType[type] = uses = [];
        }

        return uses;
    }

    private static string OuterName(MetadataReader md, TypeDefinitionHandle handle)
    {
        var type = md.GetTypeDefinition(handle);
        while (type.GetDeclaringType() is { IsNil: false } outer)
        {
            type = md.GetTypeDefinition(outer);
        }

        var ns = md.GetString(type.Namespace);
        return ns.Length == 0 ? md.GetString(type.Name) : ns + "." + md.GetString(type.Name);
    }

    private static void VisitAttributes(MetadataReader md, NameProvider provider, CustomAttributeHandleCollection attributes)
    {
        foreach (var handle in attributes)
        {
            Visit(md, provider, md.GetCustomAttribute(handle).Constructor);
        }
    }

    private static void VisitBody(MetadataReader md, NameProvider provider, MethodBodyBlock body)
    {
        if (!body.LocalSignature.IsNil)
        {
            md.GetStandaloneSignature(body.LocalSignature).DecodeLocalSignature(provider, null);
        }

        var il = body.GetILReader();
        while (il.RemainingBytes > 0)
        {
            short code = il.ReadByte();
            if (code == 0xFE)
            {
                code = (short)(0xFE00 | il.ReadByte());
            }

            switch (s_operands[code])
            {
                case OperandType.InlineNone:
                    break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar:
                    il.Offset += 1;
                    break;
                case OperandType.InlineVar:
                    il.Offset += 2;
                    break;
                case OperandType.InlineI8 or OperandType.InlineR:
                    il.Offset += 8;
                    break;
                case OperandType.InlineSwitch:
                    var targets = il.ReadInt32(); // read first: "Offset += 4 * ReadInt32()" would read Offset before the count
                    il.Offset += 4 * targets;
                    break;
                case OperandType.InlineField or OperandType.InlineMethod or OperandType.InlineTok or OperandType.InlineType:
                    Visit(md, provider, MetadataTokens.EntityHandle(il.ReadInt32()));
                    break;
                case OperandType.InlineSig:
                    md.GetStandaloneSignature((StandaloneSignatureHandle)MetadataTokens.EntityHandle(il.ReadInt32())).DecodeMethodSignature(provider, null);
                    break;
                default: // InlineBrTarget, InlineI, InlineString, ShortInlineR
                    il.Offset += 4;
                    break;
            }
        }
    }

    /// <summary>Records the external types <paramref name="handle"/> names (a type, or a member with its declaring type and signature).</summary>
    private static void Visit(MetadataReader md, NameProvider provider, EntityHandle handle)
    {
        if (handle.IsNil)
        {
            return;
        }

        switch (handle.Kind)
        {
            case HandleKind.TypeReference:
                provider.GetTypeFromReference(md, (TypeReferenceHandle)handle, 0);
                break;
            case HandleKind.TypeSpecification:
                md.GetTypeSpecification((TypeSpecificationHandle)handle).DecodeSignature(provider, null);
                break;
            case HandleKind.MemberReference:
                var member = md.GetMemberReference((MemberReferenceHandle)handle);
                Visit(md, provider, member.Parent);
                if (member.GetKind() == MemberReferenceKind.Method)
                {
                    member.DecodeMethodSignature(provider, null);
                }
                else
                {
                    member.DecodeFieldSignature(provider, null);
                }

                break;
            case HandleKind.MethodSpecification:
                var specification = md.GetMethodSpecification((MethodSpecificationHandle)handle);
                Visit(md, provider, specification.Method);
                specification.DecodeSignature(provider, null);
                break;
            case HandleKind.MethodDefinition:
                md.GetMethodDefinition((MethodDefinitionHandle)handle).DecodeSignature(provider, null);
                break;
            case HandleKind.FieldDefinition:
                md.GetFieldDefinition((FieldDefinitionHandle)handle).DecodeSignature(provider, null);
                break;
        }
    }

    /// <summary>Decodes signatures into nothing but the side effect of recording each external type they name.</summary>
    private sealed class NameProvider : ISignatureTypeProvider<string, object?>
    {
        public HashSet<TypeUse> Sink { get; set; } = [];

        public string GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind)
        {
            var reference = reader.GetTypeReference(handle);
            var scope = reference.ResolutionScope;
            var name = reader.GetString(reference.Namespace) is { Length: > 0 } ns ? ns + "." + reader.GetString(reference.Name) : reader.GetString(reference.Name);
            while (scope.Kind == HandleKind.TypeReference)
            {
                var outer = reader.GetTypeReference((TypeReferenceHandle)scope);
                name = (reader.GetString(outer.Namespace) is { Length: > 0 } outerNs ? outerNs + "." : "") + reader.GetString(outer.Name) + "+" + name;
                scope = outer.ResolutionScope;
            }

            var assembly = scope.Kind == HandleKind.AssemblyReference
                ? reader.GetString(reader.GetAssemblyReference((AssemblyReferenceHandle)scope).Name)
                : reader.GetString(reader.GetAssemblyDefinition().Name);
            Sink.Add(new TypeUse(assembly, name));
            return name;
        }

        public string GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) =>
            reader.GetString(reader.GetTypeDefinition(handle).Name);

        public string GetTypeFromSpecification(MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind) =>
            reader.GetTypeSpecification(handle).DecodeSignature(this, genericContext);

        public string GetSZArrayType(string elementType) => elementType + "[]";

        public string GetArrayType(string elementType, ArrayShape shape) => elementType + "[,]";

        public string GetByReferenceType(string elementType) => elementType + "&";

        public string GetPointerType(string elementType) => elementType + "*";

        public string GetPinnedType(string elementType) => elementType;

        public string GetGenericInstantiation(string genericType, ImmutableArray<string> typeArguments) => genericType;

        public string GetGenericMethodParameter(object? genericContext, int index) => "!!" + index;

        public string GetGenericTypeParameter(object? genericContext, int index) => "!" + index;

        public string GetModifiedType(string modifier, string unmodifiedType, bool isRequired) => unmodifiedType;

        public string GetFunctionPointerType(MethodSignature<string> signature) => "method";

        public string GetPrimitiveType(PrimitiveTypeCode typeCode) => typeCode.ToString();
    }
}

/// <summary>A type named by compiled code: the assembly that defines it and its full name (nested types as Outer+Inner).</summary>
internal sealed record TypeUse(string Assembly, string FullName)
{
    /// <summary>The type's namespace (of its outermost type).</summary>
    public string Namespace => FullName.Split('+')[0] is var outer && outer.LastIndexOf('.') is >= 0 and var dot ? outer[..dot] : "";

    public override string ToString() => $"{FullName} ({Assembly})";
}

/// <summary>The Carapace assemblies a program consists of: its own and, transitively, every Carapace assembly it references.</summary>
internal static class CarapaceClosure
{
    /// <summary>The file names (Name.dll) of <paramref name="assembly"/>'s Carapace closure, read from the files in <paramref name="directory"/>.</summary>
    public static HashSet<string> Of(string directory, string assembly)
    {
        var closure = new HashSet<string>();
        var pending = new Stack<string>([assembly]);
        while (pending.TryPop(out var name))
        {
            if (!closure.Add(name + ".dll"))
            {
                continue;
            }

            using var stream = File.OpenRead(Path.Combine(directory, name + ".dll"));
            using var pe = new PEReader(stream);
            var md = pe.GetMetadataReader();
            foreach (var handle in md.AssemblyReferences)
            {
                var referenced = md.GetString(md.GetAssemblyReference(handle).Name);
                if (referenced.StartsWith("Carapace.", StringComparison.Ordinal))
                {
                    pending.Push(referenced);
                }
            }
        }

        return closure;
    }
}
