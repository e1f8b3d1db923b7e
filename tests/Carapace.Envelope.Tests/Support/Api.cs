namespace Carapace.Envelope.Tests.Support;

/// <summary>Which sealer to use.</summary>
public enum SealApi
{
    Span,
    Stream,
    BufferWriter,
}

/// <summary>Which opener to use.</summary>
public enum OpenApi
{
    Span,
    Stream,
    BufferWriter,
}
