using Carapace.Functions;
using Carapace.Kms.Client;

namespace Carapace.Enclave.Tests.Host;

/// <summary>The runtime identity hashes exactly the assemblies the enclave program consists of, and the KMS it trusts.</summary>
public sealed class RuntimeIdentityTests
{
    [Fact]
    public void The_runtime_identity_hashes_exactly_the_enclave_program_s_Carapace_closure_and_the_Wasmtime_binding()
    {
        var expected = CarapaceClosure.Of(AppContext.BaseDirectory, "Carapace.Enclave");
        expected.Add("Wasmtime.Dotnet.dll");

        Assert.Equal(expected.Order(StringComparer.Ordinal), RuntimeIdentity.Assemblies.Order(StringComparer.Ordinal));
        Assert.DoesNotContain("Carapace.Kms.dll", RuntimeIdentity.Assemblies);
    }

    [Fact]
    public void The_runtime_identity_changes_with_the_KMS_the_runtime_trusts()
    {
        var kms = KmsIdentity.Compute(AppContext.BaseDirectory);
        var other = (byte[])kms.Clone();
        other[0] ^= 1;

        Assert.Equal(RuntimeIdentity.Compute(AppContext.BaseDirectory), RuntimeIdentity.Compute(AppContext.BaseDirectory, kms));
        Assert.NotEqual(RuntimeIdentity.Compute(AppContext.BaseDirectory, kms), RuntimeIdentity.Compute(AppContext.BaseDirectory, other));
    }
}
