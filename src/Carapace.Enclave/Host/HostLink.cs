using Carapace.Protocol;
using Carapace.Protocol.Lane;

namespace Carapace.Enclave.Host;

/// <summary>
/// The enclave's side of its connection to the worker: the pipe (<see cref="FrameChannel"/>) and, when the worker
/// gave one, the shared lane. A read first polls the lane for a while after the last answer (back-to-back
/// invocations then cross without a system call or a wake-up), then announces it is asleep and blocks on the pipe,
/// where either a frame or a doorbell for the lane arrives. Answers go into the lane when they fit, with a doorbell
/// only when the worker sleeps. Frames from the lane are copied into one reused enclave buffer before they are parsed.
/// </summary>
internal sealed class HostLink : IDisposable
{
    /// <summary>How long the enclave polls the lane for the next request after answering one.</summary>
    public static readonly TimeSpan PollAfterAnswer = TimeSpan.FromMicroseconds(100);

    /// <summary>
    /// How long it polls after a doorbell that found nothing (the worker's "a request is coming") or after a
    /// specialisation (whose first invocation follows at once).
    /// </summary>
    public static readonly TimeSpan PollWhenExpecting = TimeSpan.FromMilliseconds(5);

    private readonly FrameChannel _channel;
    private readonly SharedLane? _lane;
    private byte[] _buffer = [];
    private TimeSpan _poll = PollAfterAnswer;

    public HostLink(FrameChannel channel, SharedLane? lane)
    {
        _channel = channel;
        _lane = lane;
    }

    /// <summary>Whether frames also travel through the shared lane.</summary>
    public bool HasLane => _lane is not null;

    /// <summary>The next request, or null when the worker closed the pipe. Doorbells are consumed here.</summary>
    /// <exception cref="ProtocolException">The worker broke the protocol on the pipe or in the lane.</exception>
    public Frame? Read()
    {
        if (_lane is null)
        {
            return _channel.Read();
        }

        var inbound = _lane.Inbound;
        var poll = _poll;
        _poll = PollAfterAnswer;
        while (true)
        {
            if (SpinBudget.PollFor(inbound, poll) && TryTake(inbound, out var polled))
            {
                return polled;
            }

            inbound.Sleep();
            if (TryTake(inbound, out var late))
            {
                inbound.Wake();
                return late;
            }

            var frame = _channel.Read();
            inbound.Wake();
            if (frame is not { Type: MessageType.Doorbell })
            {
                return frame;
            }

            if (TryTake(inbound, out var rung))
            {
                return rung;
            }

            // A doorbell with nothing behind it: a frame already taken, or the worker announcing a request.
            poll = PollWhenExpecting;
        }
    }

    /// <summary>Sends an answer: through the lane when it fits (ringing only a sleeping worker), else over the pipe.</summary>
    public void Write(MessageType type, ReadOnlySpan<byte> body)
    {
        _poll = type == MessageType.Specialized ? PollWhenExpecting : PollAfterAnswer;
        if (_lane is not null && _lane.Outbound.TryPublish(type, body, default))
        {
            if (_lane.Outbound.ReaderAsleep)
            {
                _channel.Write(MessageType.Doorbell, []);
            }

            return;
        }

        _channel.Write(type, body);
    }

    public void Dispose() => _lane?.Dispose();

    private bool TryTake(Mailbox inbound, out Frame frame) => inbound.TryTake(Borrow, out frame);

    private Memory<byte> Borrow(int length)
    {
        if (_buffer.Length < length)
        {
            _buffer = new byte[Math.Max(length, Math.Max(4096, _buffer.Length * 2))];
        }

        return _buffer.AsMemory(0, length);
    }
}
