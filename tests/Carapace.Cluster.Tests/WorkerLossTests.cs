using System.Diagnostics;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Npgsql;

namespace Carapace.Cluster.Tests;

/// <summary>
/// kill -9 of a worker node in the middle of invocations (its own cluster: the node stays dead) while two steps surely
/// run on it: every activation ends completed or failed with a reason that names the lost node, no request id ran
/// twice, and new invocations succeed on the remaining worker.
/// </summary>
public sealed class WorkerLossTests(ClusterFixture cluster) : IClassFixture<ClusterFixture>
{
    private const int Invocations = 48;
    private const int Concurrency = 8;

    [Fact]
    public async Task KilledWorkerNode_EveryActivationEndsWithAnOutcome_AndTheClusterKeepsServing()
    {
        var deploy = await cluster.RunAsync(null, "deploy", "echo", RepoPaths.Example("echo"), "--plaintext", "--data-dir", cluster.ClientFor(0));
        Assert.True(deploy.ExitCode == 0, deploy.Stderr);
        var spinDeploy = await cluster.RunAsync(null, "deploy", "spin", RepoPaths.Example("spin"), "--plaintext", "--timeout", "10s",
            "--data-dir", cluster.ClientFor(0));
        Assert.True(spinDeploy.ExitCode == 0, spinDeploy.Stderr);
        using var http = Client();
        // Through node2 (a gateway without a worker): every step runs on node1 or node3.
        var url = new Uri(cluster.Nodes[1].UrlAfter("gateway"), "api/v1/namespaces/guest/actions/echo?blocking=true");
        // Four steps that never finish by themselves, placed two on each worker (the fewest running first): the two on
        // node3 are surely in flight when it dies.
        var spinUrl = new Uri(cluster.Nodes[1].UrlAfter("gateway"), "api/v1/namespaces/guest/actions/spin?blocking=true");
        var spins = Enumerable.Range(0, 4).Select(_ => http.PostAsync(spinUrl, new StringContent("{}", Encoding.UTF8, "application/json"))).ToList();
        var node3 = cluster.Nodes[2].ProcessId;
        Assert.True(await ProcFs.WaitUntilAsync(() => ProcFs.ChildrenOf(node3).Count >= 3, TimeSpan.FromSeconds(60)),
            "node3 did not start enclaves for the spinning steps");
        var statuses = new List<int>();
        var sent = 0;
        var killed = false;
        using var gate = new SemaphoreSlim(Concurrency);
        var running = new List<Task>();
        for (var i = 0; i < Invocations; i++)
        {
            await gate.WaitAsync();
            if (!killed && Interlocked.CompareExchange(ref sent, 0, 0) >= Invocations / 3)
            {
                // node3 (gateway+worker) vanishes while steps run on it.
                cluster.Nodes[2].KillHard();
                killed = true;
            }

            var n = i;
            running.Add(Task.Run(async () =>
            {
                try
                {
                    using var response = await http.PostAsync(url, new StringContent($"{{\"i\":{n}}}", Encoding.UTF8, "application/json"));
                    lock (statuses)
                    {
                        statuses.Add((int)response.StatusCode);
                    }
                }
                finally
                {
                    Interlocked.Increment(ref sent);
                    gate.Release();
                }
            }));
        }

        await Task.WhenAll(running).WaitAsync(TimeSpan.FromMinutes(5));
        Assert.True(killed);
        foreach (var spin in spins)
        {
            (await spin.WaitAsync(TimeSpan.FromMinutes(2))).Dispose();
        }
        Assert.Equal(Invocations, statuses.Count);

        // After the loss: a new invocation succeeds within a bound (the remaining worker takes it).
        var failover = Stopwatch.StartNew();
        var recovered = false;
        for (var attempt = 0; attempt < 60 && !recovered; attempt++)
        {
            using var response = await http.PostAsync(url, new StringContent("{\"after\":true}", Encoding.UTF8, "application/json"));
            recovered = response.IsSuccessStatusCode;
            if (!recovered)
            {
                await Task.Delay(500);
            }
        }

        Assert.True(recovered, "no invocation succeeded within 60 attempts after the worker node was killed");
        Console.WriteLine($"first success {failover.ElapsedMilliseconds} ms after the load ended; statuses: " +
            string.Join(", ", statuses.GroupBy(s => s).Select(g => $"{g.Key}×{g.Count()}")));

        // The spinning steps on node3 failed naming it (those on node1 ran into their time limit).
        var spun = await ActivationsAsync("spin", TimeSpan.FromSeconds(60));
        Assert.Equal(4, spun.Count);
        Assert.Equal(2, spun.Count(r => (r.Result ?? "").Contains("the worker node node3", StringComparison.Ordinal)));
        Assert.Equal(2, spun.Count(r => (r.Result ?? "").Contains("exceeded its time limits", StringComparison.Ordinal)));

        // Every activation of the action ended (bounded wait), successes or failures naming node3.
        var rows = await ActivationsAsync("echo", TimeSpan.FromSeconds(60));
        Assert.True(rows.Count >= Invocations + 1, $"{rows.Count} activations recorded");
        Console.WriteLine($"{rows.Count(r => r.Status != "success")} failed; e.g. {rows.FirstOrDefault(r => r.Status != "success").Result}");
        Assert.All(rows, r => Assert.True(r.Status == "success" || (r.Result ?? "").Contains("node3", StringComparison.Ordinal),
            $"activation {r.Id} ended {r.Status}: {r.Result}"));

        // At most once: one claim per request id, each finished, each naming one activation.
        await using var connection = new NpgsqlConnection(cluster.ConnectionString);
        await connection.OpenAsync();
        await using var claims = new NpgsqlCommand(
            "SELECT count(*), count(DISTINCT request_id), count(DISTINCT activation_id), count(*) FILTER (WHERE finished_ms IS NULL) FROM steps WHERE chain_id = 'echo'",
            connection);
        await using var reader = await claims.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(reader.GetInt64(0), reader.GetInt64(1));
        Assert.Equal(reader.GetInt64(0), reader.GetInt64(2));
        Assert.Equal(0, reader.GetInt64(3));
    }

    private async Task<List<(string Id, string? Status, string? Result)>> ActivationsAsync(string action, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var rows = new List<(string, string?, string?)>();
            await using (var connection = new NpgsqlConnection(cluster.ConnectionString))
            {
                await connection.OpenAsync();
                await using var command = new NpgsqlCommand("SELECT activation_id, status, result FROM activations WHERE name = @name", connection);
                command.Parameters.AddWithValue("name", action);
                await using var reader = await command.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    rows.Add((reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2)));
                }
            }

            if (rows.All(r => r.Item2 is not null) || deadline.Elapsed > timeout)
            {
                return rows;
            }

            await Task.Delay(250);
        }
    }

    private HttpClient Client()
    {
        var authority = X509CertificateLoader.LoadCertificate(File.ReadAllBytes(cluster.GatewayCaFile));
        var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
            {
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(authority);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return certificate is not null && chain.Build(certificate);
            },
        };
        var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(120) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(cluster.Auth)));
        return http;
    }
}
