using Carapace.Protocol;

namespace Carapace.Fuzz.Targets;

/// <summary>
/// The host↔enclave protocol: the enclave reads what the untrusted host writes (Specialize, Invoke), the host reads
/// what a possibly compromised enclave process writes (Ready, Specialized, Result, Failure).
/// </summary>
internal static class ProtocolTargets
{
    public static IEnumerable<FuzzTarget> All()
    {
        yield return new FuzzTarget(
            "protocol-message",
            "one message as type byte ‖ CBOR body (a frame without its length): Ready, Specialized, Result, Failure, Specialize, Invoke .Decode",
            input =>
            {
                if (input.Length == 0)
                {
                    throw new ProtocolException("empty input: no type byte");
                }

                Decode((MessageType)input[0], input.AsMemory(1));
            },
            [typeof(ProtocolException)]);
        yield return new FuzzTarget(
            "protocol-frames",
            "FrameChannel.Read over a byte stream (u32 length ‖ type ‖ body, repeated), each body decoded by its type",
            ReadFrames,
            [typeof(ProtocolException)]);
    }

    /// <summary>Decodes <paramref name="body"/> as the message <paramref name="type"/> announces, as host and enclave do.</summary>
    public static void Decode(MessageType type, ReadOnlyMemory<byte> body)
    {
        switch (type)
        {
            case MessageType.Ready: ReadyMessage.Decode(body); break;
            case MessageType.Specialized: SpecializedMessage.Decode(body); break;
            case MessageType.Result: ResultMessage.Decode(body); break;
            case MessageType.Failure: FailureMessage.Decode(body); break;
            case MessageType.Specialize: SpecializeMessage.Decode(body); break;
            case MessageType.Invoke: InvokeMessage.Decode(body); break;
            case MessageType.Shutdown or MessageType.Doorbell: break;
            default: throw new ProtocolException($"unknown message type 0x{(byte)type:x2}");
        }
    }

    private static void ReadFrames(byte[] input)
    {
        using var channel = new FrameChannel(new MemoryStream(input, writable: false), Stream.Null, reuseReadBuffer: true);
        while (channel.Read() is { } frame)
        {
            Decode(frame.Type, frame.Body);
        }
    }
}
