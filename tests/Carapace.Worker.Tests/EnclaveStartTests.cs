using Carapace.Functions;
using Carapace.Worker.Enclaves;

namespace Carapace.Worker.Tests;

public sealed class EnclaveStartTests : IDisposable
{
    private readonly WorkerHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public async Task An_enclave_announces_simulation_its_session_key_and_the_runtime_identity()
    {
        await using var enclave = await EnclaveProcess.StartAsync(_h.Launch);

        Assert.True(enclave.Ready.Simulation);
        Assert.Equal(65, enclave.Ready.SessionPublicKey.Length);
        Assert.Equal(0x04, enclave.Ready.SessionPublicKey.Span[0]);
        Assert.Equal(RuntimeIdentity.Compute(AppContext.BaseDirectory), enclave.Ready.RuntimeIdentity.ToArray());
        Assert.Equal(enclave.ProcessId, enclave.Ready.ProcessId);
    }

    [Fact]
    public async Task Two_enclaves_have_different_session_keys()
    {
        await using var a = await EnclaveProcess.StartAsync(_h.Launch);
        await using var b = await EnclaveProcess.StartAsync(_h.Launch);

        Assert.False(a.Ready.SessionPublicKey.Span.SequenceEqual(b.Ready.SessionPublicKey.Span));
    }

    [Fact]
    public async Task A_ready_cell_holds_no_TCP_socket_after_its_KMS_warm_up()
    {
        await using var enclave = await EnclaveProcess.StartAsync(_h.Launch);

        // The warm-up runs in process over anonymous pipes, which are closed before Ready: none of the process's file
        // descriptors is a TCP socket (listening, connected or closing), and the warm-up reported no failure.
        var tcp = TcpSocketInodes(enclave.ProcessId);
        var held = Directory.GetFiles($"/proc/{enclave.ProcessId}/fd")
            .Select(fd => new FileInfo(fd).LinkTarget)
            .Where(target => target is not null && target.StartsWith("socket:[", StringComparison.Ordinal) && tcp.Contains(target[8..^1]))
            .ToList();
        Assert.Empty(held);
        await Task.Delay(200);
        Assert.DoesNotContain(_h.Diagnostics, line => line.Contains("KMS warm-up", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_missing_enclave_program_is_a_clear_error()
    {
        var launch = new EnclaveLaunchOptions { EnclavePath = Path.Combine(_h.Root, "nope.dll") };

        var error = await Assert.ThrowsAsync<ArgumentException>(() => EnclaveProcess.StartAsync(launch));

        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_enclave_that_is_killed_fails_requests_as_lost_instead_of_hanging()
    {
        await using var enclave = await EnclaveProcess.StartAsync(_h.Launch);
        enclave.Kill();

        var error = await Assert.ThrowsAsync<EnclaveException>(() => enclave.InvokeAsync(new byte[] { 1, 2, 3 }));

        Assert.True(error.EnclaveLost);
    }

    /// <summary>The inodes of every TCP socket (IPv4 and IPv6) in the network namespace of <paramref name="pid"/>.</summary>
    private static HashSet<string> TcpSocketInodes(int pid) =>
        [.. new[] { "tcp", "tcp6" }
            .Select(table => $"/proc/{pid}/net/{table}")
            .Where(File.Exists)
            .SelectMany(table => File.ReadAllLines(table).Skip(1))
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(fields => fields.Length > 9)
            .Select(fields => fields[9])];
}
