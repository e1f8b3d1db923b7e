using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace Carapace.Enclave.Tests.Host;

/// <summary>
/// What the native enclave is compiled from. The build suppresses ILC's per-assembly warnings IL2104/IL3053 for the
/// enclave, which is sound only while every Carapace assembly in it is analysed at build time (IsAotCompatible, so trim
/// and AOT warnings fail the build) and the only other assembly is the Wasmtime binding.
/// </summary>
public sealed class NativeClosureTests
{
    [Fact]
    public void Every_Carapace_assembly_of_the_enclave_is_built_AOT_compatible_and_the_only_other_package_is_Wasmtime()
    {
        var closure = CarapaceClosure.Of(AppContext.BaseDirectory, "Carapace.Enclave");
        var others = new HashSet<string>();
        foreach (var file in closure)
        {
            using var stream = File.OpenRead(Path.Combine(AppContext.BaseDirectory, file));
            using var pe = new PEReader(stream);
            var md = pe.GetMetadataReader();
            if (file != "Carapace.Enclave.dll")
            {
                Assert.True(IsTrimmable(md), $"{file} is linked into the native enclave but is not built with IsAotCompatible");
            }

            foreach (var handle in md.AssemblyReferences)
            {
                var name = md.GetString(md.GetAssemblyReference(handle).Name);
                if (!name.StartsWith("Carapace.", StringComparison.Ordinal) && !name.StartsWith("System", StringComparison.Ordinal)
                    && name is not ("netstandard" or "mscorlib" or "Microsoft.Win32.Primitives"))
                {
                    others.Add(name);
                }
            }
        }

        Assert.Equal(["Wasmtime.Dotnet"], others);
    }

    /// <summary>IsAotCompatible (through IsTrimmable) stamps [assembly: AssemblyMetadata("IsTrimmable", "True")].</summary>
    private static bool IsTrimmable(MetadataReader md) =>
        md.GetAssemblyDefinition().GetCustomAttributes().Select(md.GetCustomAttribute).Any(attribute =>
        {
            if (attribute.Constructor.Kind != HandleKind.MemberReference)
            {
                return false;
            }

            var type = md.GetMemberReference((MemberReferenceHandle)attribute.Constructor).Parent;
            if (type.Kind != HandleKind.TypeReference || md.GetString(md.GetTypeReference((TypeReferenceHandle)type).Name) != "AssemblyMetadataAttribute")
            {
                return false;
            }

            var value = md.GetBlobReader(attribute.Value);
            value.ReadUInt16(); // prolog
            return value.ReadSerializedString() == "IsTrimmable" && value.ReadSerializedString() == "True";
        });
}
