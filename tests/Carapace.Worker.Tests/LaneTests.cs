using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Carapace.Envelope.Sealing;
using Carapace.Functions;
using Carapace.Functions.Provisioning;
using Carapace.Protocol;
using Carapace.Protocol.Lane;
using Carapace.Worker.Enclaves;

namespace Carapace.Worker.Tests;

/// <summary>
/// The shared-memory lane between the worker and real enclave processes: invocations and answers through the lane,
/// the pipe for frames that do not fit, doorbells for sleeping readers, and loss of the enclave while the lane is up.
/// Every wait is bounded, so a lost wake-up fails the test instead of hanging it.
/// </summary>
public sealed class LaneTests : IDisposable
{

    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private readonly WorkerHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public async Task By_default_the_enclave_maps_the_lane_and_serves_200_invocations_in_a_row()
    {
        await using var fn = await Specialized.StartAsync(_h, "hello", _h.Launch);

        Assert.Equal(SharedLane.DefaultCapacity, _h.Launch.LaneCapacity);
        Assert.True(fn.Enclave.HasLane);
        Assert.True(fn.Enclave.Ready.Lane);
        Assert.Equal(ReadyMessage.CurrentVersion, fn.Enclave.Ready.ProtocolVersion);
        Assert.NotNull(LaneMappingOf(fn.Enclave.ProcessId));
        for (var i = 0; i < 200; i++)
        {
            var text = $"lane call {i}";
            Assert.Equal(text.ToUpperInvariant(), await fn.InvokeTextAsync(text));
        }

        Assert.Equal(200, fn.Enclave.Invocations);
        Assert.False(fn.Enclave.IsLost);
    }

    [Fact]
    public async Task The_lane_file_name_is_gone_once_the_enclave_is_ready_while_its_mapping_stays()
    {
        await using var enclave = await EnclaveProcess.StartAsync(_h.Launch);

        var mapping = LaneMappingOf(enclave.ProcessId);

        Assert.NotNull(mapping);
        Assert.EndsWith(" (deleted)", mapping, StringComparison.Ordinal);
        var path = mapping[..^" (deleted)".Length];
        Assert.StartsWith($"carapace-lane-{Environment.ProcessId}-", Path.GetFileName(path), StringComparison.Ordinal);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public async Task With_no_lane_capacity_every_frame_takes_the_pipe_and_still_works()
    {
        var launch = With(_h.Launch, laneCapacity: 0);
        await using var fn = await Specialized.StartAsync(_h, "hello", launch);

        Assert.False(fn.Enclave.HasLane);
        Assert.False(fn.Enclave.Ready.Lane);
        Assert.Null(LaneMappingOf(fn.Enclave.ProcessId));
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal($"PIPE {i}", await fn.InvokeTextAsync($"pipe {i}"));
        }
    }

    [Fact]
    public async Task With_a_small_lane_large_requests_and_answers_take_the_pipe_interleaved_with_small_ones_in_the_lane()
    {
        // 64 KiB lane: hello answers with as many bytes as it gets, so a 256 KiB call crosses the pipe both ways.
        var launch = With(_h.Launch, laneCapacity: 64 << 10);
        await using var fn = await Specialized.StartAsync(_h, "hello", launch);
        Assert.True(fn.Enclave.HasLane);

        for (var i = 0; i < 8; i++)
        {
            var text = i % 2 == 0 ? $"small {i}" : new string((char)('a' + i), 256 << 10);
            Assert.Equal(text.ToUpperInvariant(), await fn.InvokeTextAsync(text));
        }

        Assert.False(fn.Enclave.IsLost);
    }

    [Fact]
    public async Task With_a_small_lane_large_inputs_take_the_pipe_and_small_ones_the_lane_interleaved()
    {
        // 64 KiB: the module (about 20 KiB) and small inputs fit, a 256 KiB input does not.
        var launch = With(_h.Launch, laneCapacity: 64 << 10);
        await using var fn = await Specialized.StartAsync(_h, "sha256", launch);
        Assert.True(fn.Enclave.HasLane);

        for (var i = 0; i < 6; i++)
        {
            var input = RandomNumberGenerator.GetBytes(i % 2 == 0 ? 100 : 256 << 10);
            Assert.Equal(Sha256Line(input), await fn.InvokeTextAsync(input));
        }

        Assert.False(fn.Enclave.IsLost);
    }

    [Fact]
    public async Task With_the_smallest_lane_a_module_larger_than_the_lane_still_specializes()
    {
        // 4096 bytes: the Specialize frame (module about 20 KiB) must take the pipe; its answer fits the lane.
        var launch = With(_h.Launch, laneCapacity: 4096);
        await using var fn = await Specialized.StartAsync(_h, "sha256", launch);

        var small = RandomNumberGenerator.GetBytes(10);
        Assert.Equal(Sha256Line(small), await fn.InvokeTextAsync(small));
    }

    [Fact]
    public async Task Concurrent_callers_on_four_enclaves_lose_no_invocation()
    {
        var functions = new List<Specialized>();
        try
        {
            for (var e = 0; e < 4; e++)
            {
                functions.Add(await Specialized.StartAsync(_h, "hello", _h.Launch));
            }

            var calls = functions.SelectMany((fn, e) => Enumerable.Range(0, 50).Select(async i =>
            {
                var text = $"enclave {e} call {i}";
                return (Expected: text.ToUpperInvariant(), Got: await fn.InvokeTextAsync(text));
            })).ToList();
            var results = await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(120));

            Assert.Equal(200, results.Length);
            Assert.All(results, r => Assert.Equal(r.Expected, r.Got));
            Assert.All(functions, fn => Assert.Equal(50, fn.Enclave.Invocations));
            Assert.All(functions, fn => Assert.True(fn.Enclave.HasLane));
            Assert.Equal(4, functions.Select(fn => fn.Enclave.ProcessId).Distinct().Count());
        }
        finally
        {
            foreach (var fn in functions)
            {
                await fn.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Without_answer_polling_doorbells_alone_carry_50_invocations()
    {
        var launch = With(_h.Launch, answerPoll: TimeSpan.Zero);
        await using var fn = await Specialized.StartAsync(_h, "hello", launch);
        Assert.True(fn.Enclave.HasLane);

        for (var i = 0; i < 50; i++)
        {
            // Every other call waits long enough that the enclave stopped polling and sleeps on the pipe, so the
            // worker must ring it; the worker never polls, so the enclave must ring back every time.
            if (i % 2 == 1)
            {
                await Task.Delay(5);
            }

            Assert.Equal($"BELL {i}", await fn.InvokeTextAsync($"bell {i}"));
        }

        Assert.False(fn.Enclave.IsLost);
    }

    [Fact]
    public async Task A_long_invocation_outlasts_the_answer_poll_and_is_answered_by_a_doorbell()
    {
        // sha256 of 3 MiB fits the default lane both ways and takes far longer than the 250 µs answer poll, so the
        // worker is asleep on the pipe when the answer lands in the lane: only the enclave's doorbell wakes it.
        await using var fn = await Specialized.StartAsync(_h, "sha256", _h.Launch);

        for (var i = 0; i < 3; i++)
        {
            var input = RandomNumberGenerator.GetBytes(3 << 20);
            Assert.Equal(Sha256Line(input), await fn.InvokeTextAsync(input));
        }

        var small = RandomNumberGenerator.GetBytes(1);
        Assert.Equal(Sha256Line(small), await fn.InvokeTextAsync(small));
    }

    [Fact]
    public async Task An_input_larger_than_the_default_lane_with_a_small_answer_is_answered()
    {
        // 5 MiB does not fit the default 4 MiB lane, so the Invoke frame takes the pipe; the 65-byte answer fits the lane.
        await using var fn = await Specialized.StartAsync(_h, "sha256", _h.Launch);

        var input = RandomNumberGenerator.GetBytes(5 << 20);
        Assert.Equal(Sha256Line(input), await fn.InvokeTextAsync(input));
    }

    [Fact]
    public async Task An_invocation_after_the_enclave_was_killed_fails_as_lost_instead_of_hanging()
    {
        await using var fn = await Specialized.StartAsync(_h, "hello", _h.Launch);
        Assert.Equal("BEFORE", await fn.InvokeTextAsync("before"));

        // Killed from outside, as the OOM killer would: the worker's object does not know yet.
        using (var process = Process.GetProcessById(fn.Enclave.ProcessId))
        {
            process.Kill();
        }

        var error = await Assert.ThrowsAsync<EnclaveException>(() => fn.InvokeTextAsync("after").WaitAsync(Bound));

        Assert.True(error.EnclaveLost);
        Assert.True(fn.Enclave.IsLost);
        var again = await Assert.ThrowsAsync<EnclaveException>(() => fn.InvokeTextAsync("again").WaitAsync(Bound));
        Assert.True(again.EnclaveLost);
    }

    [Fact]
    public async Task An_enclave_killed_during_an_invocation_fails_it_as_lost()
    {
        var manifest = new FunctionManifest { Name = "spin", TimeoutMilliseconds = 60_000 };
        await using var fn = await Specialized.StartAsync(_h, "spin", _h.Launch, manifest);

        var running = fn.InvokeTextAsync("");
        await Task.Delay(500);
        Assert.False(running.IsCompleted);
        using (var process = Process.GetProcessById(fn.Enclave.ProcessId))
        {
            process.Kill();
        }

        var error = await Assert.ThrowsAsync<EnclaveException>(() => running.WaitAsync(Bound));

        Assert.True(error.EnclaveLost);
    }

    [Theory]
    [InlineData(100, "the lane capacity must be 0 (off) or within 4096..")]
    [InlineData(4095, "the lane capacity must be 0 (off) or within 4096..")]
    [InlineData(-1, "the lane capacity must be 0 (off) or within 4096..")]
    [InlineData(SharedLane.MaxCapacity + 1, "the lane capacity must be 0 (off) or within 4096..")]
    public void Validate_refuses_a_lane_capacity_out_of_range(int capacity, string expected)
    {
        var launch = With(_h.Launch, laneCapacity: capacity);

        var error = Assert.Throws<ArgumentException>(launch.Validate);

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1000.0)]
    [InlineData(10.001)]
    [InlineData(-0.001)]
    public void Validate_refuses_an_answer_poll_out_of_range(double milliseconds)
    {
        var launch = With(_h.Launch, answerPoll: TimeSpan.FromMilliseconds(milliseconds));

        var error = Assert.Throws<ArgumentException>(launch.Validate);

        Assert.Contains("the answer poll must be within 0..10 ms", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_accepts_the_lane_bounds_and_reports_every_problem_at_once()
    {
        With(_h.Launch, laneCapacity: 0).Validate();
        With(_h.Launch, laneCapacity: 4096).Validate();
        With(_h.Launch, laneCapacity: SharedLane.MaxCapacity).Validate();
        With(_h.Launch, answerPoll: TimeSpan.Zero).Validate();
        With(_h.Launch, answerPoll: TimeSpan.FromMilliseconds(10)).Validate();

        var both = new EnclaveLaunchOptions { EnclavePath = _h.Launch.EnclavePath, LaneCapacity = 100, AnswerPoll = TimeSpan.FromSeconds(1) };
        var error = Assert.Throws<ArgumentException>(both.Validate);
        Assert.Contains("lane capacity", error.Message, StringComparison.Ordinal);
        Assert.Contains("answer poll", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_refuses_invalid_lane_options_before_starting_anything()
    {
        var launch = With(_h.Launch, laneCapacity: 100);

        await Assert.ThrowsAsync<ArgumentException>(() => EnclaveProcess.StartAsync(launch));
    }

    private static EnclaveLaunchOptions With(EnclaveLaunchOptions b, int? laneCapacity = null, TimeSpan? answerPoll = null) => new()
    {
        EnclavePath = b.EnclavePath,
        PlatformKeyPath = b.PlatformKeyPath,
        StartTimeout = b.StartTimeout,
        Diagnostics = b.Diagnostics,
        LaneCapacity = laneCapacity ?? b.LaneCapacity,
        AnswerPoll = answerPoll ?? b.AnswerPoll,
    };

    private static string Sha256Line(byte[] input) => Convert.ToHexStringLower(SHA256.HashData(input)) + "\n";

    /// <summary>The path of this worker's lane file the enclave process has mapped (from /proc/PID/maps), or null.</summary>
    private static string? LaneMappingOf(int pid)
    {
        var marker = $"/carapace-lane-{Environment.ProcessId}-";
        var paths = File.ReadAllLines($"/proc/{pid}/maps")
            .Select(line => line.IndexOf('/', StringComparison.Ordinal) is var slash and >= 0 ? line[slash..] : null)
            .Where(path => path is not null && path.Contains(marker, StringComparison.Ordinal))
            .Distinct()
            .ToList();
        Assert.True(paths.Count <= 1, "the enclave maps more than one lane: " + string.Join(", ", paths));
        return paths.SingleOrDefault();
    }

    /// <summary>One enclave specialised into one example function, invoked directly (no pool in between).</summary>
    private sealed class Specialized : IAsyncDisposable
    {
        private readonly ProvisioningPlan _plan;

        private Specialized(EnclaveProcess enclave, ProvisioningPlan plan)
        {
            Enclave = enclave;
            _plan = plan;
        }

        public EnclaveProcess Enclave { get; }

        public static async Task<Specialized> StartAsync(WorkerHarness h, string example, EnclaveLaunchOptions launch, FunctionManifest? manifest = null)
        {
            var module = await File.ReadAllBytesAsync(RepoPaths.Example(example));
            var plan = ProvisioningPlan.Create(module, manifest ?? new FunctionManifest { Name = example });
            EnclaveProcess? enclave = null;
            try
            {
                enclave = await EnclaveProcess.StartAsync(launch);
                using var session = plan.ProvisionFor(enclave.Ready);
                var specialized = await enclave.SpecializeAsync(new SpecializeMessage(session.PublicKey, session.SealedProvisioning, module, ReadOnlyMemory<byte>.Empty, null))
                    .WaitAsync(Bound);
                Assert.True(session.Confirms(specialized), "the enclave did not confirm the provisioned function");
                return new Specialized(enclave, plan);
            }
            catch
            {
                if (enclave is not null)
                {
                    await enclave.DisposeAsync();
                }

                plan.Dispose();
                throw;
            }
        }

        public Task<string> InvokeTextAsync(string input) => InvokeTextAsync(Encoding.UTF8.GetBytes(input));

        /// <summary>Seals the input, invokes once (bounded), checks completion and opens the output.</summary>
        public async Task<string> InvokeTextAsync(byte[] input)
        {
            var result = await Enclave.InvokeAsync(EnvelopeSealer.Seal(_plan.Input, input)).WaitAsync(Bound);
            Assert.True(result.Status == InvocationStatus.Completed, $"status {result.Status}: {result.Message}");
            Assert.Equal(0, result.ExitCode);
            using var output = EnvelopeOpener.Open(_plan.Output, result.Output.Span);
            return Encoding.UTF8.GetString(output.Payload.Span);
        }

        public async ValueTask DisposeAsync()
        {
            await Enclave.DisposeAsync();
            _plan.Dispose();
        }
    }
}
