using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Carapace.Cluster.Security;

namespace Carapace.Cluster.Tests;

/// <summary>
/// Three real node processes on loopback over a real PostgreSQL database: what is deployed through one gateway runs
/// through the others, confidential and plaintext, on whichever worker node placement picks, with receipts that verify;
/// and a process whose certificate the cluster CA did not issue cannot join.
/// </summary>
public sealed class ClusterNodeTests(ClusterFixture cluster) : IClassFixture<ClusterFixture>
{
    [Fact]
    public async Task DeployedThroughNode1_RunsThroughNodes2And3_ConfidentialWithVerifiedReceipts()
    {
        var deploy = await cluster.RunAsync(null, "deploy", "hello", RepoPaths.Example("hello"), "--data-dir", cluster.ClientFor(0));
        Assert.True(deploy.ExitCode == 0, deploy.Stderr);
        foreach (var node in new[] { 1, 2 })
        {
            for (var i = 0; i < 3; i++)
            {
                var invoke = await cluster.RunAsync($"hello from node {node + 1} #{i}", "invoke", "hello", "--data-dir", cluster.ClientFor(node));
                Assert.True(invoke.ExitCode == 0, invoke.Stderr);
                Assert.Equal($"HELLO FROM NODE {node + 1} #{i}", invoke.Stdout.Trim());
                Assert.Contains("1 receipt verified", invoke.Stderr, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task PlaintextActionDeployedThroughNode1_RunsThroughNodes2And3()
    {
        var deploy = await cluster.RunAsync(null, "deploy", "echo", RepoPaths.Example("echo"), "--plaintext", "--data-dir", cluster.ClientFor(0));
        Assert.True(deploy.ExitCode == 0, deploy.Stderr);
        using var http = Gateways();
        foreach (var node in new[] { 1, 2 })
        {
            for (var i = 0; i < 3; i++)
            {
                var url = new Uri(cluster.Nodes[node].UrlAfter("gateway"), "api/v1/namespaces/guest/actions/echo?blocking=true&result=true");
                using var response = await http.PostAsync(url, new StringContent($"{{\"node\":{node + 1},\"i\":{i}}}", Encoding.UTF8, "application/json"));
                var body = await response.Content.ReadAsStringAsync();
                Assert.True(response.IsSuccessStatusCode, body);
                var result = JsonNode.Parse(body)!;
                Assert.Equal(node + 1, result["node"]!.GetValue<int>());
                Assert.Equal(i, result["i"]!.GetValue<int>());
            }
        }
    }

    [Fact]
    public async Task ProcessWithoutACertificateFromTheClusterCa_CannotJoin()
    {
        // A node whose certificate (and CA) are its own: consistent by itself, unknown to the cluster.
        var rogueCa = Path.Combine(cluster.Root, "rogue-ca");
        var rogueCerts = Path.Combine(cluster.Root, "rogue-certs");
        ClusterAuthority.Create(rogueCa);
        ClusterAuthority.Issue(rogueCa, "rogue", rogueCerts);
        File.Copy(Path.Combine(rogueCa, "ca.crt"), Path.Combine(rogueCerts, "ca.crt"));
        await using var rogue = BackgroundCarapace.Start(cluster.Home, "Press Ctrl-C", cluster.NodeArguments("rogue", "worker", rogueCerts));

        // The others refuse its TLS handshakes, so it never becomes active: Orleans declares it dead and it stops.
        var exit = await rogue.WaitForExitAsync(TimeSpan.FromSeconds(150));
        Assert.True(exit is not null && exit != 0, $"the rogue node did not fail to join:\n{rogue.Stdout}\n{rogue.Stderr}");
        var rows = await cluster.MembershipAsync();
        Assert.DoesNotContain(rows, r => r.Name.StartsWith("rogue/", StringComparison.Ordinal) && r.Status == 3);
        Assert.Contains("RemoteCertificateValidationCallback", rogue.Stderr, StringComparison.Ordinal);
        Assert.Equal(3, rows.Count(r => r.Status == 3));

        // A certificate from another CA is also refused before the node starts, when the node's own CA copy is the cluster's.
        var mismatched = Path.Combine(cluster.Root, "mismatched-certs");
        Directory.CreateDirectory(mismatched);
        File.Copy(Path.Combine(rogueCerts, "rogue.crt"), Path.Combine(mismatched, "rogue.crt"));
        File.Copy(Path.Combine(rogueCerts, "rogue.key"), Path.Combine(mismatched, "rogue.key"));
        File.Copy(Path.Combine(cluster.CaDirectory, "ca.crt"), Path.Combine(mismatched, "ca.crt"));
        var refused = await cluster.RunAsync(null, cluster.NodeArguments("rogue", "worker", mismatched));
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("was not issued by the cluster CA", refused.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NodeCommand_ExplainsBadInput()
    {
        var noCluster = await cluster.RunAsync(null, "node", "--name", "x");
        Assert.Equal(2, noCluster.ExitCode);
        Assert.Contains("--cluster", noCluster.Stderr, StringComparison.Ordinal);

        var notAConnection = await cluster.RunAsync(null, "node", "--cluster", "/nonexistent/file", "--name", "x");
        Assert.Equal(2, notAConnection.ExitCode);
        Assert.Contains("connection string", notAConnection.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("/nonexistent/file", notAConnection.Stderr, StringComparison.Ordinal);

        var badRole = await cluster.RunAsync(null, "node", "--cluster", cluster.ConnectionFile, "--roles", "kms", "--name", "x");
        Assert.Equal(2, badRole.ExitCode);
        Assert.Contains("unknown role 'kms'", badRole.Stderr, StringComparison.Ordinal);

        var help = await cluster.RunAsync(null, "node", "--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("--silo-port", help.Stdout, StringComparison.Ordinal);
    }

    /// <summary>An HTTP client of the gateways: their TLS CA pinned, node1's credential.</summary>
    private HttpClient Gateways()
    {
        var authority = X509CertificateLoader.LoadCertificate(File.ReadAllBytes(cluster.GatewayCaFile));
        var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
            {
                if (certificate is null)
                {
                    return false;
                }

                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(authority);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(certificate);
            },
        };
        var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(120) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(cluster.Auth)));
        return http;
    }
}
