using Carapace.Envelope.Format;
using Carapace.Envelope.Replay;
using Carapace.Envelope.Sealing;
using Carapace.Envelope.Tests.Support;
using Carapace.Envelope.Tests.Tampering;

namespace Carapace.Envelope.Tests.Replay;

/// <summary>Opening with a <see cref="ReplayGuard"/>: a second delivery is refused; a forgery never uses up the request id.</summary>
public sealed class OpenReplayTests
{
    public static TheoryData<OpenApi> Apis() => [.. Envelopes.OpenApis];

    [Theory]
    [MemberData(nameof(Apis))]
    public void Open_rejects_the_second_delivery_of_an_envelope_as_a_replay(OpenApi api)
    {
        using var key = TestKeys.Edge();
        var options = new OpenOptions { ReplayGuard = new ReplayGuard() };
        var e = Sample.Seal(key);

        Envelopes.Open(api, key, e, options);
        var error = Envelopes.Reject(api, key, e, options);

        Assert.Equal(EnvelopeErrorKind.Replay, error.Kind);
        Assert.Equal(EnvelopeErrorKind.Replay, Envelopes.Reject(api, key, e, options).Kind);
    }

    [Theory]
    [MemberData(nameof(Apis))]
    public void Open_rejects_a_resealed_envelope_with_an_accepted_request_id(OpenApi api)
    {
        using var key = TestKeys.Edge();
        var options = new OpenOptions { ReplayGuard = new ReplayGuard() };

        Envelopes.Open(api, key, Sample.Seal(key), options);

        Assert.Equal(EnvelopeErrorKind.Replay, Envelopes.Reject(api, key, Sample.Seal(key), options).Kind);
    }

    [Fact]
    public void The_same_request_id_is_accepted_once_on_each_edge()
    {
        using var first = TestKeys.Edge(from: 0, to: 1);
        using var second = TestKeys.Edge(from: 1, to: 2);
        var options = new OpenOptions { ReplayGuard = new ReplayGuard() };

        Envelopes.Open(OpenApi.Span, first, Sample.Seal(first), options);
        Envelopes.Open(OpenApi.Span, second, Sample.Seal(second), options);

        Assert.True(options.ReplayGuard.Contains(first.Id, Sample.RequestId));
        Assert.True(options.ReplayGuard.Contains(second.Id, Sample.RequestId));
    }

    [Fact]
    public void Stream_opener_writes_nothing_for_a_replay()
    {
        using var key = TestKeys.Edge();
        var options = new OpenOptions { ReplayGuard = new ReplayGuard() };
        var e = Sample.Seal(key);
        Envelopes.Open(OpenApi.Stream, key, e, options);

        var (error, written) = Envelopes.OpenStreamRecording(key, e, options);

        Assert.Equal(EnvelopeErrorKind.Replay, Assert.IsType<EnvelopeException>(error).Kind);
        Assert.Empty(written.Bytes);
    }

    public static TheoryData<string, OpenApi> Forgeries()
    {
        var data = new TheoryData<string, OpenApi>();
        foreach (var forgery in new[] { "chunk-0-tag", "metadata", "final-chunk", "middle-chunk", "cut-after-chunk-0", "cut-inside-final", "appended" })
        {
            foreach (var api in Envelopes.OpenApis)
            {
                data.Add(forgery, api);
            }
        }

        return data;
    }

    /// <summary>
    /// Whatever was changed, an envelope that fails to open must not use up its request id: otherwise whoever can
    /// corrupt an envelope in transit (or cut it short) and deliver the damaged copy first gets the genuine one refused.
    /// </summary>
    [Theory]
    [MemberData(nameof(Forgeries))]
    public void A_forged_envelope_does_not_poison_the_guard(string forgery, OpenApi api)
    {
        using var key = TestKeys.Edge();
        var guard = new ReplayGuard();
        var options = new OpenOptions { ReplayGuard = guard };
        var genuine = Sample.Seal(key);
        var l = Layout.Of(genuine);
        var forged = forgery switch
        {
            "chunk-0-tag" => Bytes.WithXor(genuine, l.Chunks[0].End.GetOffset(genuine.Length) - 1, 1),
            "metadata" => Bytes.WithXor(genuine, l.HeaderLength - 1, 1),
            "final-chunk" => Bytes.WithXor(genuine, genuine.Length - 1, 1),
            "middle-chunk" => Bytes.WithXor(genuine, l.Chunks[1].Start.GetOffset(genuine.Length), 1),
            "cut-after-chunk-0" => genuine[..l.Chunks[0].End.GetOffset(genuine.Length)],
            "cut-inside-final" => genuine[..^1],
            _ => Bytes.Concat(genuine, [0]),
        };

        var error = Envelopes.Reject(api, key, forged, options);
        Assert.NotEqual(EnvelopeErrorKind.Replay, error.Kind);
        Assert.False(guard.Contains(key.Id, Sample.RequestId));

        Assert.Equal(Sample.Payload(), Envelopes.Open(api, key, genuine, options).Payload);
        Assert.True(guard.Contains(key.Id, Sample.RequestId));
    }

    [Theory]
    [MemberData(nameof(Apis))]
    public void An_envelope_over_the_payload_limit_does_not_use_up_its_request_id(OpenApi api)
    {
        using var key = TestKeys.Edge();
        var guard = new ReplayGuard();
        var e = Sample.Seal(key);

        Envelopes.Reject(api, key, e, new OpenOptions { ReplayGuard = guard, MaxPayloadBytes = 100 });

        Assert.False(guard.Contains(key.Id, Sample.RequestId));
    }

    [Theory]
    [MemberData(nameof(Apis))]
    public void A_refused_replay_keeps_the_original_record(OpenApi api)
    {
        using var key = TestKeys.Edge();
        var guard = new ReplayGuard();
        var options = new OpenOptions { ReplayGuard = guard };
        var e = Sample.Seal(key);
        Envelopes.Open(api, key, e, options);

        Envelopes.Reject(api, key, e, options);
        Envelopes.Reject(api, key, Bytes.WithXor(e, e.Length - 1, 1), options);

        Assert.True(guard.Contains(key.Id, Sample.RequestId));
        Assert.Equal(EnvelopeErrorKind.Replay, Envelopes.Reject(api, key, e, options).Kind);
    }

    [Fact]
    public void Concurrent_deliveries_of_one_envelope_open_exactly_once()
    {
        using var key = TestKeys.Edge();
        var options = new OpenOptions { ReplayGuard = new ReplayGuard() };
        var e = Sample.Seal(key);
        var opened = 0;
        var replays = 0;

        Parallel.For(0, 64, _ =>
        {
            try
            {
                EnvelopeOpener.Open(key, e, options).Dispose();
                Interlocked.Increment(ref opened);
            }
            catch (EnvelopeException ex) when (ex.Kind == EnvelopeErrorKind.Replay)
            {
                Interlocked.Increment(ref replays);
            }
        });

        Assert.Equal(1, opened);
        Assert.Equal(63, replays);
    }

    [Fact]
    public void Without_a_guard_an_envelope_opens_any_number_of_times()
    {
        using var key = TestKeys.Edge();
        var e = Sample.Seal(key);

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(Sample.Payload(), Envelopes.Open(OpenApi.Span, key, e).Payload);
        }

        Assert.Equal(Sample.RequestId, EnvelopeHeader.Parse(e).Metadata.RequestId);
    }
}
