using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Carapace.Cluster.Security;
using Npgsql;

namespace Carapace.Cluster.Tests;

/// <summary>
/// A three-node cluster on loopback, started once for the tests of a class: a private PostgreSQL server (its own
/// database), the KMS (<c>carapace kms start</c>), the cluster CA with three node certificates, and three
/// <c>carapace node</c> processes on distinct ports — node1 gateway+worker (bootstraps namespace guest), node2 gateway
/// only (so whatever it runs lands on another node), node3 gateway+worker. Clients reach each gateway through a copy of
/// node1's profile pointing at it.
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(180);
    private readonly List<BackgroundCarapace> _processes = [];

    public string Root { get; } = Directory.CreateTempSubdirectory("carapace-cluster-").FullName;

    public string Home => Path.Combine(Root, "home");

    public string ConnectionString { get; private set; } = "";

    public string ConnectionFile => Path.Combine(Root, "cluster.conn");

    public string CaDirectory => Path.Combine(Root, "ca");

    public BackgroundCarapace[] Nodes { get; private set; } = [];

    public async Task InitializeAsync()
    {
        var server = PostgresServer.Shared;
        var database = "cluster_" + Guid.NewGuid().ToString("N")[..12];
        await using (var connection = new NpgsqlConnection(server.ConnectionString()))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {database}", connection);
            await create.ExecuteNonQueryAsync();
        }

        ConnectionString = server.ConnectionString(database);
        File.WriteAllText(ConnectionFile, ConnectionString);
        File.SetUnixFileMode(ConnectionFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Directory.CreateDirectory(Home);
        _processes.Add(await BackgroundCarapace.StartAsync(Home, "KMS listening on", "kms", "start", "--data-dir", Home, "--port", "0"));
        ClusterAuthority.Create(CaDirectory);
        var nodes = new List<BackgroundCarapace>();
        foreach (var (name, roles) in new[] { ("node1", "gateway,worker"), ("node2", "gateway"), ("node3", "gateway,worker") })
        {
            var node = await StartNodeAsync(name, roles, name == "node1" ? ["--namespace", "guest"] : []);
            nodes.Add(node);
        }

        Nodes = [.. nodes];
        await WaitForActiveAsync(3, TimeSpan.FromSeconds(60));
        for (var i = 0; i < Nodes.Length; i++)
        {
            ClientFor(i);
        }
    }

    /// <summary>Issues <paramref name="name"/>'s certificate (if not yet) and starts it as a node of this cluster.</summary>
    public async Task<BackgroundCarapace> StartNodeAsync(string name, string roles, string[] extra)
    {
        var certificates = Path.Combine(Root, name + "-certs");
        if (!Directory.Exists(certificates))
        {
            ClusterAuthority.Issue(CaDirectory, name, certificates);
            File.Copy(Path.Combine(CaDirectory, "ca.crt"), Path.Combine(certificates, "ca.crt"));
        }

        var node = await BackgroundCarapace.StartAsync(Home, "Press Ctrl-C", [.. NodeArguments(name, roles, certificates), .. extra]);
        _processes.Add(node);
        return node;
    }

    /// <summary>The arguments of <c>carapace node</c> for <paramref name="name"/> with the certificates in <paramref name="certificates"/>.</summary>
    public string[] NodeArguments(string name, string roles, string certificates) =>
    [
        "node", "--cluster", ConnectionFile, "--name", name, "--roles", roles, "--certs", certificates, "--kms", Home,
        "--data-dir", Path.Combine(Root, name), "--gateway-ca", Path.Combine(Root, "gateway-tls"), "--port", "0",
        "--silo-port", FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture), "--stem-cells", "1",
    ];

    /// <summary>A data directory whose profile is node1's (namespace, keys, KMS) but whose gateway is node <paramref name="index"/>'s.</summary>
    public string ClientFor(int index)
    {
        var directory = Path.Combine(Root, $"client{index + 1}");
        if (Directory.Exists(directory))
        {
            return directory;
        }

        var source = Path.Combine(Root, "node1");
        Directory.CreateDirectory(Path.Combine(directory, "tls"));
        foreach (var file in new[] { "owner.key", "client.key", Path.Combine("tls", "ca.crt") })
        {
            File.Copy(Path.Combine(source, file), Path.Combine(directory, file));
        }

        var profile = JsonNode.Parse(File.ReadAllText(Path.Combine(source, "platform.json")))!;
        profile["gateway"] = Nodes[index].UrlAfter("gateway").AbsoluteUri;
        var path = Path.Combine(directory, "platform.json");
        File.WriteAllText(path, profile.ToJsonString());
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return directory;
    }

    /// <summary>node1's namespace credential (uuid:key).</summary>
    public string Auth => JsonNode.Parse(File.ReadAllText(Path.Combine(Root, "node1", "platform.json")))!["auth"]!.GetValue<string>();

    /// <summary>The gateways' TLS CA certificate file.</summary>
    public string GatewayCaFile => Path.Combine(Root, "node1", "tls", "ca.crt");

    /// <summary>Runs <c>carapace ARGS</c> to its end (bounded) with this cluster's home.</summary>
    public async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string? stdin, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "carapace.dll"));
        foreach (var argument in args)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["CARAPACE_HOME"] = Home;
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }

        process.StandardInput.Close();
        using var deadline = new CancellationTokenSource(CommandTimeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"carapace {string.Join(' ', args)} did not finish within {CommandTimeout.TotalSeconds} s");
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>The membership table: each silo's name and Orleans status (3 active, 6 dead), newest generation last.</summary>
    public async Task<List<(string Name, int Status)>> MembershipAsync()
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT siloname, status FROM orleansmembershiptable ORDER BY generation", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(string, int)>();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetString(0), reader.GetInt32(1)));
        }

        return rows;
    }

    /// <summary>Waits (bounded) until <paramref name="count"/> silos are active.</summary>
    public async Task WaitForActiveAsync(int count, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while ((await MembershipAsync()).Count(r => r.Status == 3) < count)
        {
            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"fewer than {count} nodes became active within {timeout.TotalSeconds} s: " +
                    string.Join(", ", (await MembershipAsync()).Select(r => $"{r.Name}={r.Status}")));
            }

            await Task.Delay(250);
        }
    }

    public async Task DisposeAsync()
    {
        // Nodes first (newest first), the KMS last.
        for (var i = _processes.Count - 1; i >= 0; i--)
        {
            await _processes[i].DisposeAsync();
        }

        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A straggling enclave still had a file open; the temp folder is swept later.
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
