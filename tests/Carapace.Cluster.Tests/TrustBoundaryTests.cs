using System.Globalization;

namespace Carapace.Cluster.Tests;

/// <summary>
/// The cluster's code is untrusted, like the controller and worker it composes: no key, no plaintext, no trusted
/// program (its CA touches only its own key files); and the embedded platform never loads it, nor Orleans or Npgsql.
/// </summary>
public sealed class TrustBoundaryTests
{
    [Fact]
    public void No_type_of_the_cluster_references_trusted_code_keys_or_plaintext_but_its_CA_its_key_files()
    {
        var assembly = ReferencedTypes.Read(Path.Combine(AppContext.BaseDirectory, "Carapace.Cluster.dll"));

        Assert.NotEmpty(assembly.ByType);
        Assert.Empty(TrustRules.Offenders(assembly, TrustRules.ClusterAuthority));
        Assert.NotEmpty(TrustRules.Offenders(assembly));
    }

    [Fact]
    public void The_embedded_platform_does_not_reference_the_cluster()
    {
        var closures = TrustRules.ProjectClosures();

        Assert.DoesNotContain("Carapace.Cluster", closures["Carapace.Platform"]);
        Assert.DoesNotContain("Carapace.Controller.Postgres", closures["Carapace.Platform"]);
        Assert.Contains("Carapace.Cluster", closures["Carapace.Cli"]);
    }

    [Fact]
    public async Task Carapace_up_loads_neither_Orleans_nor_the_cluster_nor_Npgsql()
    {
        var data = Directory.CreateTempSubdirectory("carapace-up-").FullName;
        try
        {
            await using var up = await BackgroundCarapace.StartAsync(data, "Press Ctrl-C", "up", "--data-dir", data, "--port", "0", "--stem-cells", "0");
            // Managed assemblies are mapped into the process: its map lists every one it loaded.
            var maps = await File.ReadAllTextAsync(string.Create(CultureInfo.InvariantCulture, $"/proc/{up.ProcessId}/maps"));
            Assert.Contains("Carapace.Platform.dll", maps, StringComparison.Ordinal);
            Assert.DoesNotContain("Orleans", maps, StringComparison.Ordinal);
            Assert.DoesNotContain("Carapace.Cluster.dll", maps, StringComparison.Ordinal);
            Assert.DoesNotContain("Npgsql", maps, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }
}
