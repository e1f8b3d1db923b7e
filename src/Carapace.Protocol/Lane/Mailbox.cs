using System.Runtime.CompilerServices;

namespace Carapace.Protocol.Lane;

/// <summary>
/// One direction of a <see cref="SharedLane"/>: a single frame slot in shared memory with a publish counter and a
/// "reader is asleep" flag. Requests and answers alternate, so one slot per direction is enough: the writer copies
/// a frame in and bumps the counter; the reader, spinning or woken by a doorbell, copies it out.
/// </summary>
/// <remarks>
/// <para>Layout (native byte order, both processes run on this machine): offset 0 <c>i64</c> published count,
/// offset 8 <c>i32</c> frame length (type byte + body), offset 64 <c>i32</c> reader-asleep flag (own cache line),
/// then from <see cref="SharedLane.HeaderBytes"/> the frame: type byte, body.</para>
/// <para>The peer can change the shared bytes at any moment, so the reader fetches the length once, checks it,
/// and copies the frame out before anything parses it (no double fetch). A count that does not advance by exactly
/// one, a length out of range or an unknown type is a <see cref="ProtocolException"/>.</para>
/// <para>Lost wake-ups are impossible by ordering: the writer publishes, then (full fence) reads the flag and rings
/// the doorbell if it is set; the reader sets the flag, then (full fence) looks at the counter once more before it
/// blocks. At least one of them sees the other. A doorbell may arrive for a frame already taken; readers ignore it.</para>
/// </remarks>
public sealed unsafe class Mailbox
{
    private const int LengthOffset = 8;
    private const int AsleepOffset = 64;

    private readonly byte* _header;
    private readonly byte* _data;
    private long _count;

    internal Mailbox(byte* header, int capacity)
    {
        _header = header;
        _data = header + SharedLane.HeaderBytes;
        Capacity = capacity;
    }

    /// <summary>Largest frame (type byte + body) the slot holds; larger frames go over the pipe.</summary>
    public int Capacity { get; }

    private ref long Published => ref Unsafe.AsRef<long>(_header);

    private ref int Length => ref Unsafe.AsRef<int>(_header + LengthOffset);

    private ref int Asleep => ref Unsafe.AsRef<int>(_header + AsleepOffset);

    /// <summary>Whether the reader announced it is blocking on the pipe (read after <see cref="TryPublish"/>'s fence).</summary>
    public bool ReaderAsleep => Volatile.Read(ref Asleep) != 0;

    /// <summary>Whether a frame is waiting that this reader has not taken.</summary>
    public bool HasFrame => Volatile.Read(ref Published) != _count;

    /// <summary>
    /// Writer: copies a frame (<paramref name="head"/> then <paramref name="tail"/> as its body) into the slot and
    /// publishes it. False, with nothing written, when it does not fit.
    /// </summary>
    public bool TryPublish(MessageType type, ReadOnlySpan<byte> head, ReadOnlySpan<byte> tail)
    {
        var total = 1L + head.Length + tail.Length;
        if (total > Capacity)
        {
            return false;
        }

        var data = new Span<byte>(_data, (int)total);
        data[0] = (byte)type;
        head.CopyTo(data[1..]);
        tail.CopyTo(data[(1 + head.Length)..]);
        Volatile.Write(ref Length, (int)total);
        Volatile.Write(ref Published, ++_count);

        // Store-load fence: the flag must be read after the count is visible (see remarks).
        Interlocked.MemoryBarrier();
        return true;
    }

    /// <summary>
    /// Reader: takes the published frame, if there is one, copying its body into memory from
    /// <paramref name="allocate"/> (called with the body length).
    /// </summary>
    /// <exception cref="ProtocolException">The slot's count, length or type is not what the protocol allows.</exception>
    public bool TryTake(Func<int, Memory<byte>> allocate, out Frame frame)
    {
        ArgumentNullException.ThrowIfNull(allocate);
        frame = default;
        var published = Volatile.Read(ref Published);
        if (published == _count)
        {
            return false;
        }

        if (published != _count + 1)
        {
            throw new ProtocolException($"the shared lane's count went from {_count} to {published}");
        }

        var length = Volatile.Read(ref Length);
        if (length < 1 || length > Capacity)
        {
            throw new ProtocolException($"the shared lane's frame length {length} is outside 1..{Capacity}");
        }

        var type = (MessageType)_data[0];
        if (!Enum.IsDefined(type) || type == MessageType.Doorbell)
        {
            throw new ProtocolException($"unknown message type 0x{(byte)type:x2} on the shared lane");
        }

        var body = allocate(length - 1);
        if (body.Length != length - 1)
        {
            throw new ArgumentException("the allocated body has the wrong length", nameof(allocate));
        }

        new ReadOnlySpan<byte>(_data + 1, length - 1).CopyTo(body.Span);
        _count = published;
        frame = new Frame(type, body);
        return true;
    }

    /// <summary>Reader: announces that it is about to block on the pipe; look at <see cref="HasFrame"/> once more after this.</summary>
    public void Sleep()
    {
        Volatile.Write(ref Asleep, 1);
        Interlocked.MemoryBarrier();
    }

    /// <summary>Reader: no longer blocking on the pipe.</summary>
    public void Wake() => Volatile.Write(ref Asleep, 0);
}
