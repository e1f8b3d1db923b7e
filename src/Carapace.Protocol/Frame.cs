namespace Carapace.Protocol;

/// <summary>One message on the channel: its type and its CBOR body.</summary>
/// <param name="Type">The message type.</param>
/// <param name="Body">The canonical CBOR body.</param>
public readonly record struct Frame(MessageType Type, ReadOnlyMemory<byte> Body);
