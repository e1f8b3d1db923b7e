using System.Buffers;
using Carapace.Envelope.Format;
using Carapace.Envelope.Keys;
using Carapace.Envelope.Sealing;

namespace Carapace.Envelope.Tests.Support;

/// <summary>An opened envelope, whichever opener produced it.</summary>
internal sealed record Opened(EnvelopeMetadata Metadata, byte[] Payload);

/// <summary>Seals and opens through either API, synchronously (the in-memory streams never really wait).</summary>
internal static class Envelopes
{
    public static readonly OpenApi[] OpenApis = [OpenApi.Span, OpenApi.Stream, OpenApi.BufferWriter];

    public static readonly SealApi[] SealApis = [SealApi.Span, SealApi.Stream, SealApi.BufferWriter];

    public static byte[] Seal(SealApi api, EdgeKey key, ReadOnlySpan<byte> payload, SealOptions? options = null)
    {
        if (api == SealApi.Span)
        {
            return EnvelopeSealer.Seal(key, payload, options);
        }

        if (api == SealApi.BufferWriter)
        {
            var writer = new ArrayBufferWriter<byte>();
            EnvelopeSealer.Seal(key, payload, writer, options);
            return writer.WrittenSpan.ToArray();
        }

        using var source = new MemoryStream(payload.ToArray());
        using var destination = new MemoryStream();
        Wait(EnvelopeSealer.SealAsync(key, source, destination, options));
        return destination.ToArray();
    }

    public static Opened Open(OpenApi api, EdgeKey key, byte[] envelope, OpenOptions? options = null)
    {
        if (api == OpenApi.Span)
        {
            using var opened = EnvelopeOpener.Open(key, envelope, options);
            return new Opened(opened.Metadata, opened.Payload.ToArray());
        }

        if (api == OpenApi.BufferWriter)
        {
            var writer = new ArrayBufferWriter<byte>();
            var m = EnvelopeOpener.Open(key, envelope, writer, options);
            return new Opened(m, writer.WrittenSpan.ToArray());
        }

        using var source = new MemoryStream(envelope);
        using var destination = new MemoryStream();
        var metadata = Wait(EnvelopeOpener.OpenAsync(key, source, destination, options));
        return new Opened(metadata, destination.ToArray());
    }

    /// <summary>Asserts that opening fails with exactly an <see cref="EnvelopeException"/> and returns it.</summary>
    public static EnvelopeException Reject(OpenApi api, EdgeKey key, byte[] envelope, OpenOptions? options = null)
    {
        var error = Record.Exception(() => Open(api, key, envelope, options));
        Assert.NotNull(error);
        return Assert.IsType<EnvelopeException>(error);
    }

    /// <summary>Opens with the stream opener into a recording destination; returns the error (or null) and what was written.</summary>
    public static (Exception? Error, RecordingStream Written) OpenStreamRecording(EdgeKey key, byte[] envelope, OpenOptions? options = null)
    {
        using var source = new MemoryStream(envelope);
        var destination = new RecordingStream();
        var error = Record.Exception(() => Wait(EnvelopeOpener.OpenAsync(key, source, destination, options)));
        return (error, destination);
    }

    public static T Wait<T>(Task<T> task) => task.GetAwaiter().GetResult();

    public static void Wait(Task task) => task.GetAwaiter().GetResult();
}
