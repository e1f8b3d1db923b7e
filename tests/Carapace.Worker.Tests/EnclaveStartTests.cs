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
        Assert.Equal(ReferenceValues.Load().RuntimeIdentityValue, enclave.Ready.RuntimeIdentity.ToArray());
        Assert.Equal(enclave.ProcessId, enclave.Ready.ProcessId);
    }

    [Fact]
    public async Task The_enclave_maps_no_code_of_its_own_but_the_native_executable_and_libwasmtime()
    {
        await using var enclave = await EnclaveProcess.StartAsync(_h.Launch);
        var executable = Path.GetFullPath(_h.Launch.EnclavePath);
        var wasmtime = Path.Combine(Path.GetDirectoryName(executable)!, "libwasmtime.so");

        // Every file mapped into the process (field 6 of /proc/PID/maps), and those mapped executable (perms "r-xp").
        var mappings = File.ReadAllLines($"/proc/{enclave.ProcessId}/maps")
            .Select(line => line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries))
            .Where(fields => fields.Length == 6 && fields[5].StartsWith('/'))
            .Select(fields => (Perms: fields[1], Path: fields[5].Trim()))
            .ToList();
        var code = mappings.Where(m => m.Perms.Contains('x', StringComparison.Ordinal)).Select(m => m.Path).ToHashSet();

        Assert.Contains(executable, code);
        Assert.Contains(wasmtime, code);
        Assert.All(code.Except([executable, wasmtime]), path =>
            Assert.True(path.StartsWith("/usr/lib/", StringComparison.Ordinal) || path.StartsWith("/lib/", StringComparison.Ordinal)
                || path.StartsWith("/lib64/", StringComparison.Ordinal) || path.StartsWith("/usr/lib64/", StringComparison.Ordinal),
                $"the enclave maps {path} as code, which is neither its executable, libwasmtime.so nor a system library"));

        // No managed assembly, .NET runtime or other Carapace file is mapped at all, code or data.
        Assert.All(mappings, m =>
        {
            Assert.False(m.Path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase), $"the enclave maps the assembly {m.Path}");
            Assert.DoesNotContain("dotnet", m.Path, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("Microsoft.NETCore.App", m.Path, StringComparison.Ordinal);
            Assert.True(m.Path == executable || !Path.GetFileName(m.Path).StartsWith("Carapace", StringComparison.Ordinal), $"the enclave maps {m.Path}");
        });
    }

    [Fact]
    public void The_default_enclave_is_the_native_executable_and_a_missing_one_says_how_to_build_it()
    {
        Assert.Equal(Path.Combine(AppContext.BaseDirectory, "enclave", "Carapace.Enclave"), new EnclaveLaunchOptions().EnclavePath);
        Assert.False(new EnclaveLaunchOptions().IsJitEnclave);
        Assert.True(File.Exists(new EnclaveLaunchOptions().EnclavePath));

        var error = Assert.Throws<ArgumentException>(() => new EnclaveLaunchOptions { EnclavePath = Path.Combine(_h.Root, "enclave", "Carapace.Enclave") }.Validate());

        Assert.Contains("native enclave", error.Message, StringComparison.Ordinal);
        Assert.Contains("dotnet build Carapace.slnx", error.Message, StringComparison.Ordinal);
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
