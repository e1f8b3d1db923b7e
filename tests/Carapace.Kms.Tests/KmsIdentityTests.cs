using Carapace.Kms.Client;

namespace Carapace.Kms.Tests;

/// <summary>The KMS measurement hashes exactly the Carapace assemblies the KMS server consists of.</summary>
public sealed class KmsIdentityTests
{
    [Fact]
    public void The_KMS_measurement_hashes_exactly_the_KMS_server_s_Carapace_closure()
    {
        var closure = CarapaceClosure.Of(AppContext.BaseDirectory, "Carapace.Kms");

        Assert.Equal(closure.Order(StringComparer.Ordinal), KmsIdentity.Files.Order(StringComparer.Ordinal));
        Assert.Equal("Carapace.Kms.dll", KmsIdentity.Files[0]);
    }

    [Fact]
    public void A_missing_KMS_file_is_an_error_that_names_it()
    {
        using var tree = new TempTree();
        foreach (var name in KmsIdentity.Files.Skip(1))
        {
            File.Copy(Path.Combine(AppContext.BaseDirectory, name), Path.Combine(tree.Root, name));
        }

        var error = Assert.Throws<FileNotFoundException>(() => KmsIdentity.Compute(tree.Root));

        Assert.Contains("Carapace.Kms.dll is missing", error.Message, StringComparison.Ordinal);
    }
}
