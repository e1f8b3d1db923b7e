using Carapace.Functions;
using Carapace.Kms.Client;

namespace Carapace.Enclave.Tests.Host;

/// <summary>The runtime identity hashes exactly the native executable, libwasmtime.so, the engine settings and the KMS it trusts.</summary>
public sealed class RuntimeIdentityTests
{
    private static string EnclaveDirectory => Path.GetDirectoryName(RepoPaths.NativeEnclave)!;

    [Fact]
    public void The_measured_files_are_the_native_executable_and_libwasmtime()
    {
        Assert.Equal(["Carapace.Enclave", "libwasmtime.so"], RuntimeIdentity.Files);
        Assert.Equal("carapace runtime v3", RuntimeIdentity.Label);
    }

    [Fact]
    public void The_build_s_reference_values_state_the_identity_of_the_native_enclave_beside_them_and_this_build_s_KMS()
    {
        var values = ReferenceValues.Load(Path.Combine(EnclaveDirectory, ReferenceValues.FileName));

        Assert.Equal(KmsIdentity.Compute(AppContext.BaseDirectory), values.KmsMeasurement);
        Assert.Equal(RuntimeIdentity.Compute(EnclaveDirectory, values.KmsMeasurement), values.RuntimeIdentityValue);
        Assert.Equal(EngineSettings.Description, values.EngineSettingsDescription);
        Assert.Equal(RuntimeIdentity.HashFile(RepoPaths.NativeEnclave), values.FileHashes[0]);
    }

    [Fact]
    public void The_runtime_identity_changes_with_the_KMS_the_runtime_trusts_and_with_each_file()
    {
        var kms = KmsIdentity.Compute(AppContext.BaseDirectory);
        var other = (byte[])kms.Clone();
        other[0] ^= 1;
        var hashes = RuntimeIdentity.HashFiles([.. RuntimeIdentity.Files.Select(f => Path.Combine(EnclaveDirectory, f))]);
        var identity = RuntimeIdentity.FromFileHashes(hashes, kms);

        Assert.Equal(RuntimeIdentity.Compute(EnclaveDirectory, kms), identity);
        Assert.NotEqual(identity, RuntimeIdentity.FromFileHashes(hashes, other));
        for (var i = 0; i < hashes.Length; i++)
        {
            var changed = hashes.Select(h => (byte[])h.Clone()).ToArray();
            changed[i][31] ^= 1;
            Assert.NotEqual(identity, RuntimeIdentity.FromFileHashes(changed, kms));
        }

        Assert.NotEqual(identity, RuntimeIdentity.FromFileHashes(hashes, kms, EngineSettings.Description + ";other"));
    }
}
