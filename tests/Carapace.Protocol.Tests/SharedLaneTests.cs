using System.Buffers.Binary;
using System.Diagnostics;
using Carapace.Protocol.Lane;

namespace Carapace.Protocol.Tests;

/// <summary>
/// The shared lane seen from both ends: the worker's <see cref="SharedLane.Create"/> and the enclave's
/// <see cref="SharedLane.Open"/> over the same file, in a private temporary folder. Tampering goes through a third,
/// raw handle on the file, as a hostile peer would write the shared bytes.
/// </summary>
public sealed class SharedLaneTests : IDisposable
{
    private const int Capacity = 4096;

    // Layout of one slot (see Mailbox): count at 0, length at 8, asleep flag at 64, frame data from HeaderBytes.
    private const int CountOffset = 0;
    private const int LengthOffset = 8;
    private const int AsleepOffset = 64;

    private readonly string _dir = Directory.CreateTempSubdirectory("carapace-lane-test-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_frame_crosses_from_the_host_to_the_enclave()
    {
        using var host = SharedLane.Create(Capacity, _dir);
        using var enclave = SharedLane.Open(host.Path);
        var body = Enumerable.Range(0, 1000).Select(i => (byte)(i * 13)).ToArray();

        Assert.False(enclave.Inbound.HasFrame);
        Assert.True(host.Outbound.TryPublish(MessageType.Invoke, body, default));
        Assert.True(enclave.Inbound.HasFrame);
        Assert.True(enclave.Inbound.TryTake(n => new byte[n], out var frame));

        Assert.Equal(MessageType.Invoke, frame.Type);
        Assert.Equal(body, frame.Body.ToArray());
        Assert.False(enclave.Inbound.HasFrame);
        Assert.Same(host.ToEnclave, host.Outbound);
        Assert.Same(enclave.ToEnclave, enclave.Inbound);
    }

    [Fact]
    public void A_frame_crosses_from_the_enclave_to_the_host_and_the_directions_do_not_mix()
    {
        using var host = SharedLane.Create(Capacity, _dir);
        using var enclave = SharedLane.Open(host.Path);

        Assert.True(enclave.Outbound.TryPublish(MessageType.Result, [7, 8, 9], default));

        Assert.False(enclave.Inbound.HasFrame);
        Assert.False(enclave.Inbound.TryTake(n => new byte[n], out _));
        Assert.True(host.Inbound.TryTake(n => new byte[n], out var frame));
        Assert.Equal(MessageType.Result, frame.Type);
        Assert.Equal([7, 8, 9], frame.Body.ToArray());
        Assert.Same(host.ToHost, host.Inbound);
        Assert.Same(enclave.ToHost, enclave.Outbound);
    }

    [Fact]
    public void Many_alternating_frames_keep_their_order_and_contents()
    {
        using var host = SharedLane.Create(Capacity, _dir);
        using var enclave = SharedLane.Open(host.Path);

        for (var i = 0; i < 500; i++)
        {
            var request = BitConverter.GetBytes(i);
            Assert.True(host.Outbound.TryPublish(MessageType.Invoke, request, default));
            Assert.True(enclave.Inbound.TryTake(n => new byte[n], out var got));
            Assert.Equal(i, BitConverter.ToInt32(got.Body.Span));
            Assert.True(enclave.Outbound.TryPublish(MessageType.Result, BitConverter.GetBytes(i + 1_000_000), default));
            Assert.True(host.Inbound.TryTake(n => new byte[n], out var answer));
            Assert.Equal(i + 1_000_000, BitConverter.ToInt32(answer.Body.Span));
        }
    }

    [Fact]
    public async Task Two_threads_ping_pong_through_the_lane_without_losing_a_frame()
    {
        using var host = SharedLane.Create(Capacity, _dir);
        using var enclave = SharedLane.Open(host.Path);
        const int rounds = 2000;
        var deadline = Stopwatch.StartNew();
        var echo = Task.Run(() =>
        {
            for (var i = 0; i < rounds; i++)
            {
                Frame frame;
                while (!enclave.Inbound.TryTake(n => new byte[n], out frame))
                {
                    if (deadline.Elapsed > TimeSpan.FromSeconds(20))
                    {
                        throw new TimeoutException($"the enclave side waited too long for frame {i}");
                    }

                    Thread.SpinWait(8);
                }

                var value = BitConverter.ToInt32(frame.Body.Span);
                Assert.True(enclave.Outbound.TryPublish(MessageType.Result, BitConverter.GetBytes(value * 2), default));
            }
        });

        for (var i = 0; i < rounds; i++)
        {
            Assert.True(host.Outbound.TryPublish(MessageType.Invoke, BitConverter.GetBytes(i), default));
            Assert.True(SpinBudget.PollFor(host.Inbound, TimeSpan.FromSeconds(20), () => echo.IsFaulted), $"no answer to frame {i}");
            Assert.True(host.Inbound.TryTake(n => new byte[n], out var answer));
            Assert.Equal(i * 2, BitConverter.ToInt32(answer.Body.Span));
        }

        await echo.WaitAsync(TimeSpan.FromSeconds(20));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(3, 0)]
    [InlineData(0, 5)]
    [InlineData(17, 2000)]
    [InlineData(10, Capacity - 11)]
    public void Head_and_tail_arrive_as_one_body(int headSize, int tailSize)
    {
        using var host = SharedLane.Create(Capacity, _dir);
        using var enclave = SharedLane.Open(host.Path);
        var head = Enumerable.Range(0, headSize).Select(i => (byte)(i + 1)).ToArray();
        var tail = Enumerable.Range(0, tailSize).Select(i => (byte)(i * 7 + 3)).ToArray();
        var asked = -1;

        Assert.True(host.Outbound.TryPublish(MessageType.Invoke, head, tail));
        Assert.True(enclave.Inbound.TryTake(n => { asked = n; return new byte[n]; }, out var frame));

        Assert.Equal(headSize + tailSize, asked);
        Assert.Equal(head.Concat(tail).ToArray(), frame.Body.ToArray());
    }

    [Fact]
    public void The_allocator_s_memory_is_the_body_and_the_wrong_length_is_refused()
    {
        using var host = SharedLane.Create(Capacity, _dir);
        using var enclave = SharedLane.Open(host.Path);
        var buffer = new byte[64];

        Assert.True(host.Outbound.TryPublish(MessageType.Invoke, [1, 2, 3], default));
        Assert.True(enclave.Inbound.TryTake(n => buffer.AsMemory(10, n), out var frame));
        Assert.Equal([1, 2, 3], buffer[10..13]);
        Assert.Equal([1, 2, 3], frame.Body.ToArray());

        Assert.True(host.Outbound.TryPublish(MessageType.Invoke, [4, 5], default));
        Assert.Throws<ArgumentException>(() => enclave.Inbound.TryTake(n => new byte[n + 1], out _));
    }

    [Fact]
    public void A_frame_larger_than_the_capacity_is_refused_and_changes_nothing()
    {
        using var host = SharedLane.Create(Capacity, _dir);
        using var enclave = SharedLane.Open(host.Path);
        Assert.True(host.Outbound.TryPublish(MessageType.Invoke, [42], default));
        Assert.True(enclave.Inbound.TryTake(n => new byte[n], out _));
        var before = ReadFile(host.Path);

        // Type byte + head + tail = capacity + 1.
        Assert.False(host.Outbound.TryPublish(MessageType.Invoke, new byte[100], new byte[Capacity - 100]));
        Assert.False(host.Outbound.TryPublish(MessageType.Invoke, new byte[Capacity], default));
        Assert.False(enclave.Outbound.TryPublish(MessageType.Result, default, new byte[Capacity * 2]));

        Assert.Equal(before, ReadFile(host.Path));
        Assert.False(enclave.Inbound.HasFrame);
        Assert.False(enclave.Inbound.TryTake(n => new byte[n], out _));
        Assert.False(host.Inbound.TryTake(n => new byte[n], out _));

        // Exactly the capacity still fits, and the next count is the one after the refused attempts.
        Assert.True(host.Outbound.TryPublish(MessageType.Invoke, new byte[Capacity - 1], default));
        Assert.True(enclave.Inbound.TryTake(n => new byte[n], out var full));
        Assert.Equal(Capacity - 1, full.Body.Length);
        Assert.Equal(2, ReadInt64(host.Path, ToEnclaveSlot + CountOffset));
    }

    [Fact]
    public void A_frame_is_taken_only_once()
    {
        using var host = SharedLane.Create(Capacity, _dir);
        using var enclave = SharedLane.Open(host.Path);

        Assert.False(enclave.Inbound.TryTake(n => new byte[n], out var nothing));
        Assert.Equal(default, nothing);
        Assert.True(host.Outbound.TryPublish(MessageType.Specialize, [1], default));
        Assert.True(enclave.Inbound.TryTake(n => new byte[n], out _));
        Assert.False(enclave.Inbound.TryTake(n => new byte[n], out var again));
        Assert.Equal(default, again);
        Assert.False(enclave.Inbound.HasFrame);
    }

    [Fact]
    public void Sleep_and_wake_are_seen_by_the_writer_of_that_direction_only()
    {
        using var host = SharedLane.Create(Capacity, _dir);
        using var enclave = SharedLane.Open(host.Path);

        Assert.False(host.Outbound.ReaderAsleep);
        enclave.Inbound.Sleep();
        Assert.True(host.Outbound.ReaderAsleep);
        Assert.False(enclave.Outbound.ReaderAsleep);
        Assert.Equal(1, ReadInt32(host.Path, ToEnclaveSlot + AsleepOffset));
        enclave.Inbound.Wake();
        Assert.False(host.Outbound.ReaderAsleep);

        host.Inbound.Sleep();
        Assert.True(enclave.Outbound.ReaderAsleep);
        Assert.False(host.Outbound.ReaderAsleep);
        Assert.Equal(1, ReadInt32(host.Path, ToHostSlot + AsleepOffset));
        host.Inbound.Wake();
        Assert.False(enclave.Outbound.ReaderAsleep);
    }

    [Fact]
    public void A_sleeping_reader_still_sees_a_frame_published_after_it_announced_sleep()
    {
        using var host = SharedLane.Create(Capacity, _dir);
        using var enclave = SharedLane.Open(host.Path);

        enclave.Inbound.Sleep();
        Assert.True(host.Outbound.TryPublish(MessageType.Invoke, [1], default));

        Assert.True(host.Outbound.ReaderAsleep, "the writer must see the flag after publishing, to ring");
        Assert.True(enclave.Inbound.HasFrame);
        Assert.True(enclave.Inbound.TryTake(n => new byte[n], out _));
    }

    [Fact]
    public void A_count_that_jumps_is_a_protocol_error()
    {
        using var host = SharedLane.Create(Capacity, _dir);
        using var enclave = SharedLane.Open(host.Path);
        Assert.True(host.Outbound.TryPublish(MessageType.Invoke, [1], default));
        Assert.True(enclave.Inbound.TryTake(n => new byte[n], out _));

        WriteInt64(host.Path, ToEnclaveSlot + CountOffset, 3);

        var error = Assert.Throws<ProtocolException>(() => enclave.Inbound.TryTake(n => new byte[n], out _));
        Assert.Equal("the shared lane's count went from 1 to 3", error.Message);
    }

    [Fact]
    public void A_count_that_goes_back_is_a_protocol_error_for_the_host_too()
    {
        using var host = SharedLane.Create(Capacity, _dir);
        using var enclave = SharedLane.Open(host.Path);
        Assert.True(enclave.Outbound.TryPublish(MessageType.Result, [1], default));
        Assert.True(host.Inbound.TryTake(n => new byte[n], out _));

        WriteInt64(host.Path, ToHostSlot + CountOffset, -1);

        var error = Assert.Throws<ProtocolException>(() => host.Inbound.TryTake(n => new byte[n], out _));
        Assert.Contains("count went from 1 to -1", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(Capacity + 1)]
    [InlineData(int.MaxValue)]
    public void A_length_out_of_range_is_a_protocol_error(int length)
    {
        using var host = SharedLane.Create(Capacity, _dir);
        using var enclave = SharedLane.Open(host.Path);
        Assert.True(host.Outbound.TryPublish(MessageType.Invoke, [1, 2, 3], default));

        WriteInt32(host.Path, ToEnclaveSlot + LengthOffset, length);

        var allocated = false;
        var error = Assert.Throws<ProtocolException>(() => enclave.Inbound.TryTake(n => { allocated = true; return new byte[n]; }, out _));
        Assert.Equal($"the shared lane's frame length {length} is outside 1..{Capacity}", error.Message);
        Assert.False(allocated);
    }

    [Fact]
    public void A_forged_frame_in_the_answer_slot_with_a_bad_length_is_a_protocol_error()
    {
        using var host = SharedLane.Create(Capacity, _dir);
        using var enclave = SharedLane.Open(host.Path);

        // A hostile enclave never calls TryPublish: it writes a count and a huge length directly.
        WriteInt32(host.Path, ToHostSlot + LengthOffset, Capacity + 4096);
        WriteInt64(host.Path, ToHostSlot + CountOffset, 1);

        Assert.True(host.Inbound.HasFrame);
        var error = Assert.Throws<ProtocolException>(() => host.Inbound.TryTake(n => new byte[n], out _));
        Assert.Contains("outside 1..4096", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData((byte)0x00)]
    [InlineData((byte)0x7f)]
    [InlineData((byte)0x13)]
    [InlineData((byte)0xff)]
    public void An_unknown_type_is_a_protocol_error(byte type)
    {
        using var host = SharedLane.Create(Capacity, _dir);
        using var enclave = SharedLane.Open(host.Path);
        Assert.True(host.Outbound.TryPublish(MessageType.Invoke, [1, 2, 3], default));

        WriteByte(host.Path, ToEnclaveSlot + SharedLane.HeaderBytes, type);

        var error = Assert.Throws<ProtocolException>(() => enclave.Inbound.TryTake(n => new byte[n], out _));
        Assert.Equal($"unknown message type 0x{type:x2} on the shared lane", error.Message);
    }

    [Fact]
    public void A_doorbell_in_the_lane_is_a_protocol_error()
    {
        using var host = SharedLane.Create(Capacity, _dir);
        using var enclave = SharedLane.Open(host.Path);
        Assert.True(enclave.Outbound.TryPublish(MessageType.Result, [], default));

        WriteByte(host.Path, ToHostSlot + SharedLane.HeaderBytes, (byte)MessageType.Doorbell);

        var error = Assert.Throws<ProtocolException>(() => host.Inbound.TryTake(n => new byte[n], out _));
        Assert.Equal("unknown message type 0x20 on the shared lane", error.Message);
    }

    [Fact]
    public void A_doorbell_published_through_the_api_is_refused_by_the_reader()
    {
        using var host = SharedLane.Create(Capacity, _dir);
        using var enclave = SharedLane.Open(host.Path);
        Assert.True(host.Outbound.TryPublish(MessageType.Doorbell, [], default));

        Assert.Throws<ProtocolException>(() => enclave.Inbound.TryTake(n => new byte[n], out _));
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(100L)]
    [InlineData(2L * (SharedLane.HeaderBytes + 4096) + 1)]
    [InlineData(2L * (SharedLane.HeaderBytes + 4095))]
    [InlineData(2L * (SharedLane.HeaderBytes + SharedLane.MaxCapacity + 1))]
    public void Open_refuses_a_file_that_is_not_a_lane_s_size(long size)
    {
        var path = Path.Combine(_dir, "not-a-lane");
        using (var f = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite))
        {
            f.SetLength(size);
        }

        var error = Assert.Throws<IOException>(() => SharedLane.Open(path));
        Assert.Contains($"the lane file is {size} bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_of_a_missing_file_is_an_io_error()
    {
        Assert.ThrowsAny<IOException>(() => SharedLane.Open(Path.Combine(_dir, "missing")));
    }

    [Fact]
    public void Open_finds_the_capacity_from_the_file_size()
    {
        using var host = SharedLane.Create(3 * 4096 + 5, _dir);
        using var enclave = SharedLane.Open(host.Path);

        Assert.Equal(3 * 4096 + 5, host.Outbound.Capacity);
        Assert.Equal(3 * 4096 + 5, enclave.Inbound.Capacity);
        Assert.Equal(3 * 4096 + 5, enclave.Outbound.Capacity);
        Assert.Equal(2L * (SharedLane.HeaderBytes + 3 * 4096 + 5), new FileInfo(host.Path).Length);
    }

    [Fact]
    public void The_created_file_is_private_to_its_owner_and_named_after_the_process()
    {
        using var host = SharedLane.Create(Capacity, _dir);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(host.Path));
        Assert.Equal(_dir, Path.GetDirectoryName(host.Path));
        Assert.StartsWith($"carapace-lane-{Environment.ProcessId}-", Path.GetFileName(host.Path), StringComparison.Ordinal);
        Assert.Equal(2L * (SharedLane.HeaderBytes + Capacity), new FileInfo(host.Path).Length);
    }

    [Fact]
    public void Two_lanes_get_different_files()
    {
        using var a = SharedLane.Create(Capacity, _dir);
        using var b = SharedLane.Create(Capacity, _dir);

        Assert.NotEqual(a.Path, b.Path);
        Assert.True(a.Outbound.TryPublish(MessageType.Invoke, [1], default));
        using var openB = SharedLane.Open(b.Path);
        Assert.False(openB.Inbound.HasFrame);
    }

    [Fact]
    public void Unlink_removes_the_name_while_both_mappings_keep_working()
    {
        using var host = SharedLane.Create(Capacity, _dir);
        using var enclave = SharedLane.Open(host.Path);

        host.Unlink();

        Assert.False(File.Exists(host.Path));
        Assert.Empty(Directory.GetFiles(_dir));
        Assert.ThrowsAny<IOException>(() => SharedLane.Open(host.Path));
        for (var i = 0; i < 3; i++)
        {
            Assert.True(host.Outbound.TryPublish(MessageType.Invoke, [(byte)i], [9]));
            Assert.True(enclave.Inbound.TryTake(n => new byte[n], out var request));
            Assert.Equal([(byte)i, 9], request.Body.ToArray());
            Assert.True(enclave.Outbound.TryPublish(MessageType.Result, [(byte)(i + 100)], default));
            Assert.True(host.Inbound.TryTake(n => new byte[n], out var answer));
            Assert.Equal([(byte)(i + 100)], answer.Body.ToArray());
        }

        // A second unlink (or the enclave's) finds nothing and stays quiet.
        host.Unlink();
        enclave.Unlink();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(4095)]
    [InlineData(SharedLane.MaxCapacity + 1)]
    [InlineData(int.MaxValue)]
    public void Create_refuses_a_capacity_out_of_range_and_leaves_no_file(int capacity)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => SharedLane.Create(capacity, _dir));

        Assert.Equal("capacity", error.ParamName);
        Assert.Empty(Directory.GetFiles(_dir));
    }

    [Fact]
    public void Create_accepts_the_bounds()
    {
        using var small = SharedLane.Create(4096, _dir);
        Assert.Equal(4096, small.Outbound.Capacity);

        using var large = SharedLane.Create(SharedLane.MaxCapacity, _dir);
        Assert.Equal(SharedLane.MaxCapacity, large.Inbound.Capacity);
    }

    [Fact]
    public void Create_in_a_missing_folder_is_an_io_error()
    {
        Assert.ThrowsAny<IOException>(() => SharedLane.Create(Capacity, Path.Combine(_dir, "no", "such")));
    }

    [Fact]
    public void Poll_for_returns_at_once_for_a_waiting_frame_and_gives_up_after_its_budget()
    {
        using var host = SharedLane.Create(Capacity, _dir);
        using var enclave = SharedLane.Open(host.Path);

        var idle = Stopwatch.StartNew();
        Assert.False(SpinBudget.PollFor(enclave.Inbound, TimeSpan.FromMilliseconds(20)));
        Assert.InRange(idle.Elapsed, TimeSpan.FromMilliseconds(19), TimeSpan.FromSeconds(5));
        Assert.False(SpinBudget.PollFor(enclave.Inbound, TimeSpan.FromSeconds(30), () => true));

        Assert.True(host.Outbound.TryPublish(MessageType.Invoke, [1], default));
        Assert.True(SpinBudget.PollFor(enclave.Inbound, TimeSpan.FromSeconds(30)));
    }

    private static int ToEnclaveSlot => 0;

    private static int ToHostSlot => SharedLane.HeaderBytes + Capacity;

    private static byte[] ReadFile(string path)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var bytes = new byte[f.Length];
        f.ReadExactly(bytes);
        return bytes;
    }

    private static void Write(string path, long offset, ReadOnlySpan<byte> bytes)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        f.Position = offset;
        f.Write(bytes);
    }

    private static byte[] Read(string path, long offset, int count)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        f.Position = offset;
        var bytes = new byte[count];
        f.ReadExactly(bytes);
        return bytes;
    }

    private static void WriteByte(string path, long offset, byte value) => Write(path, offset, [value]);

    private static void WriteInt32(string path, long offset, int value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(b, value);
        Write(path, offset, b);
    }

    private static void WriteInt64(string path, long offset, long value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(b, value);
        Write(path, offset, b);
    }

    private static int ReadInt32(string path, long offset) => BinaryPrimitives.ReadInt32LittleEndian(Read(path, offset, 4));

    private static long ReadInt64(string path, long offset) => BinaryPrimitives.ReadInt64LittleEndian(Read(path, offset, 8));

    [Fact]
    public void Create_removes_lane_files_of_workers_that_no_longer_run_and_keeps_live_ones()
    {
        var deadPid = Enumerable.Range(3_000_000, 1000).First(pid => !Directory.Exists($"/proc/{pid}"));
        var orphan = Path.Combine(_dir, $"carapace-lane-{deadPid}-0123456789abcdef");
        var live = Path.Combine(_dir, $"carapace-lane-{Environment.ProcessId}-0123456789abcdef");
        var other = Path.Combine(_dir, "carapace-lane-notapid-0123456789abcdef");
        File.WriteAllBytes(orphan, [1]);
        File.WriteAllBytes(live, [1]);
        File.WriteAllBytes(other, [1]);

        using var lane = SharedLane.Create(Capacity, _dir);

        Assert.False(File.Exists(orphan));
        Assert.True(File.Exists(live));
        Assert.True(File.Exists(other));
        Assert.True(File.Exists(lane.Path));
    }
}
