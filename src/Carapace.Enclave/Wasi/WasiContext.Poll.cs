using System.Buffers.Binary;
using Carapace.Enclave.FileSystem;
using Wasmtime;

namespace Carapace.Enclave.Wasi;

// poll_oneoff: clocks sleep (bounded by the deadline); descriptors are always ready (everything is in memory).
public sealed partial class WasiContext
{
    /// <summary>
    /// Descriptor subscriptions are ready at once (<c>fd_read</c>: nbytes = bytes left to read; <c>fd_write</c>: room
    /// left on stdout/stderr, 0 for files); one on a descriptor that cannot do it gets an event with
    /// <see cref="Errno.BadF"/>. If none is ready, the call sleeps until the earliest clock subscription is due or the
    /// deadline fires, then reports every clock subscription that is due (none if the deadline cut the sleep short).
    /// An unknown clock gets an event with <see cref="Errno.Inval"/>.
    /// </summary>
    internal Errno PollOneoff(Caller caller, int inPtr, int outPtr, int count, int resultPtr)
    {
        if (count == 0)
        {
            return Errno.Inval;
        }

        var m = Guest(caller);
        var n = (uint)count;
        if (!m.TrySpan((uint)inPtr, (ulong)n * WasiAbi.SubscriptionSize, out var subscriptions)
            || !m.TrySpan((uint)outPtr, (ulong)n * WasiAbi.EventSize, out var events)
            || !m.Contains((uint)resultPtr, 4))
        {
            return Errno.Fault;
        }

        // Parse everything first: the event array may overlap the subscriptions.
        var parsed = new Subscription[n];
        var now = ElapsedNanoseconds();
        var immediate = false;
        var earliest = ulong.MaxValue;
        try
        {
            for (var i = 0; i < parsed.Length; i++)
            {
                var s = subscriptions.Slice(i * WasiAbi.SubscriptionSize, WasiAbi.SubscriptionSize);
                var userdata = BinaryPrimitives.ReadUInt64LittleEndian(s);
                var type = s[8];
                switch (type)
                {
                    case WasiAbi.EventTypeClock:
                        var absolute = (BinaryPrimitives.ReadUInt16LittleEndian(s[40..]) & WasiAbi.SubscriptionClockAbsoluteTime) != 0;
                        if (TryTarget(BinaryPrimitives.ReadUInt32LittleEndian(s[16..]), BinaryPrimitives.ReadUInt64LittleEndian(s[24..]), absolute, now, out var target))
                        {
                            parsed[i] = new Subscription(userdata, type, Errno.Success, target, 0);
                            earliest = Math.Min(earliest, target);
                        }
                        else
                        {
                            parsed[i] = new Subscription(userdata, type, Errno.Inval, 0, 0);
                            immediate = true;
                        }

                        break;
                    case WasiAbi.EventTypeFdRead or WasiAbi.EventTypeFdWrite:
                        var error = Readiness(BinaryPrimitives.ReadInt32LittleEndian(s[16..]), type == WasiAbi.EventTypeFdRead, out var bytes);
                        parsed[i] = new Subscription(userdata, type, error, 0, bytes);
                        immediate = true;
                        break;
                    default:
                        return Errno.Inval;
                }
            }
        }
        catch (IntegrityViolationException ex)
        {
            return Violation(ex);
        }

        if (!immediate && earliest > now)
        {
            SleepUntil(earliest);
            now = ElapsedNanoseconds();
        }

        var written = 0;
        foreach (var s in parsed)
        {
            if (s.Type == WasiAbi.EventTypeClock && s.Error == Errno.Success && s.Target > now)
            {
                continue; // not due
            }

            var ev = events.Slice(written * WasiAbi.EventSize, WasiAbi.EventSize);
            ev.Clear();
            BinaryPrimitives.WriteUInt64LittleEndian(ev, s.Userdata);
            BinaryPrimitives.WriteUInt16LittleEndian(ev[8..], (ushort)s.Error);
            ev[10] = s.Type;
            if (s.Type != WasiAbi.EventTypeClock)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(ev[16..], s.Bytes);
            }

            written++;
        }

        m.TryWriteUInt32((uint)resultPtr, (uint)written);
        return Errno.Success;
    }

    private Errno Readiness(int fd, bool read, out ulong bytes)
    {
        bytes = 0;
        var d = Fd(fd);
        if (d is null || d.Kind == DescriptorKind.Directory || (read ? !d.CanRead : !d.CanWrite))
        {
            return Errno.BadF;
        }

        switch (d.Kind)
        {
            case DescriptorKind.Stdin when read:
                bytes = (ulong)Math.Max(0, _stdin.Length - d.Position);
                break;
            case DescriptorKind.File when read:
                bytes = (ulong)Math.Max(0, d.Handle!.Length - d.Position);
                break;
            case DescriptorKind.Stdout:
                bytes = (ulong)_stdout.Room;
                break;
            case DescriptorKind.Stderr:
                bytes = (ulong)_stderr.Room;
                break;
        }

        return Errno.Success;
    }

    private readonly record struct Subscription(ulong Userdata, byte Type, Errno Error, ulong Target, ulong Bytes);
}
