using System.Reflection;
using Carapace.Controller.Registry;

namespace Carapace.Controller.Tests;

/// <summary>The controller is untrusted: it may not reach code that holds keys, plaintext or attestation secrets.</summary>
public sealed class TrustBoundaryTests
{
    private static readonly string[] s_trusted = ["Carapace.Enclave", "Carapace.Kms", "Carapace.Attestation"];
    private static readonly Assembly s_controller = typeof(ActionRegistry).Assembly;

    [Fact]
    public void The_controller_references_no_trusted_assembly()
    {
        var referenced = s_controller.GetReferencedAssemblies().Select(a => a.Name!).ToList();

        Assert.Contains("Carapace.Envelope", referenced);
        Assert.Empty(referenced.Intersect(s_trusted));
    }

    [Fact]
    public void No_public_member_of_the_controller_exposes_a_trusted_type_or_a_key()
    {
        var offenders = new List<string>();
        foreach (var type in s_controller.GetExportedTypes())
        {
            foreach (var member in type.GetMembers(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            {
                var types = member switch
                {
                    PropertyInfo p => [p.PropertyType],
                    FieldInfo f => [f.FieldType],
                    MethodBase m => m.GetParameters().Select(p => p.ParameterType)
                        .Concat(m is MethodInfo mi ? [mi.ReturnType] : []),
                    _ => Enumerable.Empty<Type>(),
                };
                foreach (var used in types)
                {
                    var assembly = used.Assembly.GetName().Name!;
                    if (s_trusted.Contains(assembly) || used.Namespace == "Carapace.Envelope.Keys" && used.Name != "KeyId")
                    {
                        offenders.Add($"{type.FullName}.{member.Name} uses {used.FullName}");
                    }
                }
            }
        }

        Assert.Empty(offenders);
    }
}
