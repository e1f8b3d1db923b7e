using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Carapace.Tests;

/// <summary>
/// A private PostgreSQL server for tests: Debian's binaries (<c>/usr/lib/postgresql/NN/bin</c>, package
/// <c>postgresql</c>, which ./test.sh installs), a fresh data directory under the temp folder, a free loopback port and a
/// private socket directory; never a system service. PostgreSQL refuses to run as root, so under root the server runs
/// as the unprivileged <c>postgres</c> user (runuser) and owns its directory. <see cref="Shared"/> is one server per
/// test assembly, stopped and deleted when the test process exits; tests that stop or restart a server start their own.
/// Every wait is bounded and a server that does not come up fails with its log.
/// </summary>
internal sealed class PostgresServer : IDisposable
{
    /// <summary>The superuser tests connect as (trust authentication, loopback and the private socket only).</summary>
    public const string User = "carapace";

    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(60);

    private static readonly Lazy<PostgresServer> s_shared = new(() =>
    {
        var server = Start();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.Dispose();
        return server;
    });

    private readonly string _bin;
    private bool _disposed;

    private PostgresServer(string bin, string root, int port)
    {
        _bin = bin;
        Root = root;
        Port = port;
    }

    /// <summary>The server every test of this assembly may share (never stop it).</summary>
    public static PostgresServer Shared => s_shared.Value;

    /// <summary>The folder holding the data directory, the socket directory and the server's log.</summary>
    public string Root { get; }

    /// <summary>The data directory (readable by tests, which run as root, to search it for plaintext).</summary>
    public string DataDirectory => Path.Combine(Root, "data");

    /// <summary>The loopback port the server listens on.</summary>
    public int Port { get; }

    /// <summary>True while the server runs (between <see cref="Start"/> or <see cref="Resume"/> and <see cref="Stop"/>).</summary>
    public bool Running { get; private set; }

    /// <summary>A connection string for <paramref name="database"/>, optionally with a search path (one schema per test).</summary>
    public string ConnectionString(string database = "postgres", string? searchPath = null) =>
        $"Host=127.0.0.1;Port={Port};Username={User};Database={database}" + (searchPath is null ? "" : $";Search Path={searchPath}");

    /// <summary>Creates a data directory and starts a server on a free loopback port.</summary>
    /// <exception cref="InvalidOperationException">The binaries are missing, or the server did not come up in time.</exception>
    public static PostgresServer Start()
    {
        var bin = FindBinaries();
        SweepStopped();
        var root = Path.Combine(Path.GetTempPath(), "carapace-pg-" + Guid.NewGuid().ToString("N"));
        Run("mkdir", ["-p", Path.Combine(root, "sock")], "create the server's directory");
        var server = new PostgresServer(bin, root, FreePort());
        try
        {
            Run(Path.Combine(bin, "initdb"), ["-D", server.DataDirectory, "-U", User, "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"],
                "initialise the data directory");
            server.Resume();
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>Starts the (stopped) server again on the same port and data directory.</summary>
    public void Resume()
    {
        var options = $"-p {Port} -k {Path.Combine(Root, "sock")} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
            + "-c full_page_writes=off -c max_connections=300";
        try
        {
            Run(Path.Combine(_bin, "pg_ctl"),
                ["-D", DataDirectory, "-l", Path.Combine(Root, "server.log"), "-o", options, "-w", "-t", ((int)s_startTimeout.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture), "start"],
                "start the server");
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidOperationException(e.Message + "\nserver log:\n" + LogTail(), e);
        }

        Running = true;
    }

    /// <summary>
    /// Stops the server, keeping its data: a fast shutdown (open connections are closed, the server checkpoints), or
    /// with <paramref name="immediate"/> one that skips the checkpoint, as a crash would.
    /// </summary>
    public void Stop(bool immediate = false)
    {
        if (!Running)
        {
            return;
        }

        Running = false;
        Run(Path.Combine(_bin, "pg_ctl"), ["-D", DataDirectory, "-m", immediate ? "immediate" : "fast", "-w", "-t", "30", "stop"], "stop the server");
    }

    /// <summary>Stops the server and deletes its directory.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            // The data is thrown away: no checkpoint, so that a test process that is about to exit gets to the delete.
            Stop(immediate: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone; the directory is deleted below either way.
        }

        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    // Deletes the folders of earlier servers that are stopped (no postmaster.pid) but were not deleted, because their
    // test process was killed before it could. A running server's folder stays: another test assembly may be using it.
    private static void SweepStopped()
    {
        foreach (var folder in Directory.GetDirectories(Path.GetTempPath(), "carapace-pg-*"))
        {
            if (!File.Exists(Path.Combine(folder, "data", "postmaster.pid")))
            {
                try
                {
                    Directory.Delete(folder, recursive: true);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                }
            }
        }
    }

    private string LogTail()
    {
        var log = Path.Combine(Root, "server.log");
        return File.Exists(log) ? string.Join('\n', File.ReadLines(log).TakeLast(30)) : "(no log)";
    }

    private static string FindBinaries()
    {
        var versions = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Where(d => File.Exists(Path.Combine(d, "bin", "postgres")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0).ToList()
            : [];
        return versions.Count > 0
            ? Path.Combine(versions[0], "bin")
            : throw new InvalidOperationException(
                "PostgreSQL's server binaries are missing (/usr/lib/postgresql/NN/bin): install Debian's 'postgresql' package (./test.sh does).");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    // Runs a program to completion within the start timeout; under root, as the postgres user.
    private static void Run(string program, IReadOnlyList<string> arguments, string what)
    {
        var start = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Environment.IsPrivilegedProcess)
        {
            start.FileName = "runuser";
            foreach (var a in (string[])["-u", "postgres", "--", program])
            {
                start.ArgumentList.Add(a);
            }
        }
        else
        {
            start.FileName = program;
        }

        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot run {program} to {what}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(s_startTimeout + TimeSpan.FromSeconds(10)))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"PostgreSQL test server: '{program}' did not {what} within {s_startTimeout.TotalSeconds + 10:0} s");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"PostgreSQL test server: cannot {what} ('{program}' exited with {process.ExitCode}): {stderr.Result}{stdout.Result}".Trim());
        }
    }
}
