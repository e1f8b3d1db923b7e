namespace Carapace.Protocol.Tests;

public sealed class MessageTests
{
    private static readonly byte[] s_key = [.. Enumerable.Range(0, 65).Select(i => (byte)i)];
    private static readonly byte[] s_hash = [.. Enumerable.Range(100, 32).Select(i => (byte)i)];

    [Fact]
    public void Ready_round_trips()
    {
        var m = new ReadyMessage(1, s_hash, s_key, 4242, true);
        var back = ReadyMessage.Decode(m.Encode());

        Assert.Equal(1, back.ProtocolVersion);
        Assert.Equal(s_hash, back.RuntimeIdentity.ToArray());
        Assert.Equal(s_key, back.SessionPublicKey.ToArray());
        Assert.Equal(4242, back.ProcessId);
        Assert.True(back.Simulation);
    }

    [Fact]
    public void Ready_round_trips_the_lane_flag_both_ways()
    {
        var with = ReadyMessage.Decode(new ReadyMessage(ReadyMessage.CurrentVersion, s_hash, s_key, 7, true, Lane: true).Encode());
        var without = ReadyMessage.Decode(new ReadyMessage(ReadyMessage.CurrentVersion, s_hash, s_key, 7, false, Lane: false).Encode());

        Assert.Equal(2, ReadyMessage.CurrentVersion);
        Assert.True(with.Lane);
        Assert.Equal(ReadyMessage.CurrentVersion, with.ProtocolVersion);
        Assert.Equal(s_key, with.SessionPublicKey.ToArray());
        Assert.False(without.Lane);
        Assert.False(without.Simulation);
    }

    [Fact]
    public void A_ready_body_from_before_the_lane_decodes_with_no_lane()
    {
        // Version 1 wrote exactly these five keys, canonically ordered, and no "lane".
        var w = new System.Formats.Cbor.CborWriter(System.Formats.Cbor.CborConformanceMode.Canonical);
        w.WriteStartMap(5);
        w.WriteTextString("v");
        w.WriteInt32(1);
        w.WriteTextString("key");
        w.WriteByteString(s_key);
        w.WriteTextString("pid");
        w.WriteInt32(99);
        w.WriteTextString("sim");
        w.WriteBoolean(true);
        w.WriteTextString("runtime");
        w.WriteByteString(s_hash);
        w.WriteEndMap();

        var back = ReadyMessage.Decode(w.Encode());

        Assert.False(back.Lane);
        Assert.Equal(1, back.ProtocolVersion);
        Assert.Equal(99, back.ProcessId);
        Assert.Equal(s_hash, back.RuntimeIdentity.ToArray());
    }

    [Fact]
    public void A_lane_flag_that_is_not_a_boolean_is_a_protocol_error()
    {
        var w = new System.Formats.Cbor.CborWriter();
        w.WriteStartMap(6);
        w.WriteTextString("v");
        w.WriteInt32(2);
        w.WriteTextString("lane");
        w.WriteInt32(1);
        w.WriteTextString("pid");
        w.WriteInt32(99);
        w.WriteTextString("key");
        w.WriteByteString(s_key);
        w.WriteTextString("sim");
        w.WriteBoolean(true);
        w.WriteTextString("runtime");
        w.WriteByteString(s_hash);
        w.WriteEndMap();

        Assert.Throws<ProtocolException>(() => ReadyMessage.Decode(w.Encode()));
    }

    [Fact]
    public void Specialize_round_trips_with_and_without_an_image()
    {
        var module = new byte[100_000];
        Random.Shared.NextBytes(module);
        var withImage = SpecializeMessage.Decode(new SpecializeMessage(s_key, new byte[] { 1, 2, 3 }, module, ReadOnlyMemory<byte>.Empty, "/var/img").Encode());
        var without = SpecializeMessage.Decode(new SpecializeMessage(s_key, new byte[] { 4 }, ReadOnlyMemory<byte>.Empty, new byte[] { 9, 9 }, null).Encode());

        Assert.Equal(module, withImage.Module.ToArray());
        Assert.Equal([1, 2, 3], withImage.SealedProvisioning.ToArray());
        Assert.Equal("/var/img", withImage.ImagePath);
        Assert.True(withImage.CachedArtifact.IsEmpty);
        Assert.Null(without.ImagePath);
        Assert.Equal([9, 9], without.CachedArtifact.ToArray());
        Assert.True(without.Module.IsEmpty);
    }

    [Fact]
    public void A_large_specialize_with_KMS_fields_and_non_ASCII_names_is_exactly_the_canonical_encoding()
    {
        // The writer is sized from the fields (UTF-8 strings up to 3 bytes a char): the bytes must not depend on it.
        var artifact = new byte[3 << 20];
        Random.Shared.NextBytes(artifact);
        var message = new SpecializeMessage(s_key, new byte[600], ReadOnlyMemory<byte>.Empty, artifact, "/var/ímage/😀")
        {
            Kms = new KmsProvisioning("https://kms.example/ä", "námespace", "fünction", new byte[300], s_hash),
        };

        var encoded = message.Encode();
        var back = SpecializeMessage.Decode(encoded);

        Assert.Equal(artifact, back.CachedArtifact.ToArray());
        Assert.Equal(("fünction", "námespace", "/var/ímage/😀"), (back.Kms!.Function, back.Kms.Namespace, back.ImagePath));
        var reader = new System.Formats.Cbor.CborReader(encoded, System.Formats.Cbor.CborConformanceMode.Canonical);
        reader.SkipValue();
        Assert.Equal(0, reader.BytesRemaining);
    }

    [Fact]
    public void Specialized_round_trips()
    {
        var back = SpecializedMessage.Decode(new SpecializedMessage(s_hash, new byte[] { 7, 7 }, new byte[] { 8 }, Compiled: true, 1234).Encode());

        Assert.Equal(s_hash, back.Measurement.ToArray());
        Assert.Equal([7, 7], back.Confirmation.ToArray());
        Assert.Equal([8], back.NewArtifact.ToArray());
        Assert.True(back.Compiled);
        Assert.Equal(1234, back.LoadMicroseconds);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(23)]
    [InlineData(24)]
    [InlineData(255)]
    [InlineData(256)]
    [InlineData(65_536)]
    [InlineData(1 << 20)]
    public void Invoke_input_is_returned_exactly_for_every_length_encoding(int size)
    {
        var input = new byte[size];
        Random.Shared.NextBytes(input);

        var back = InvokeMessage.Decode(new InvokeMessage(77, input).Encode());

        Assert.Equal(77, back.InvocationId);
        Assert.Equal(input, back.Input.ToArray());
    }

    [Fact]
    public void Result_round_trips_every_field()
    {
        var m = new ResultMessage(5, InvocationStatus.Timeout, 137, "timeout after 2.0 s", new byte[] { 1 }, new byte[] { 2, 2 }, new ResourceUsage(2_000_000, 99, 65_536, 12), new byte[] { 3, 3, 3 });
        var back = ResultMessage.Decode(m.Encode());

        Assert.Equal(m.InvocationId, back.InvocationId);
        Assert.Equal(InvocationStatus.Timeout, back.Status);
        Assert.Equal(137, back.ExitCode);
        Assert.Equal("timeout after 2.0 s", back.Message);
        Assert.Equal([1], back.Output.ToArray());
        Assert.Equal([2, 2], back.Log.ToArray());
        Assert.Equal(m.Usage, back.Usage);
        Assert.Equal([3, 3, 3], back.Receipt.ToArray());
    }

    [Fact]
    public void Result_enclave_timings_round_trip_and_are_absent_unless_reported()
    {
        var plain = new ResultMessage(9, InvocationStatus.Completed, 0, "ok", default, default, new ResourceUsage(40, 0, 65_536, 10), Reason: "x");
        var timed = plain with { Timings = new EnclaveTimings(12, 34, 56, 789) };

        Assert.Null(ResultMessage.Decode(plain.Encode()).Timings);
        var back = ResultMessage.Decode(timed.Encode());
        Assert.Equal(new EnclaveTimings(12, 34, 56, 789), back.Timings);
        Assert.Equal("x", back.Reason);
        Assert.Equal(timed.Usage, back.Usage);
    }

    [Fact]
    public void Result_timings_that_are_not_four_integers_are_a_protocol_error()
    {
        // Every required field is there and well-formed: only the timings are wrong.
        var w = new System.Formats.Cbor.CborWriter(System.Formats.Cbor.CborConformanceMode.Canonical);
        w.WriteStartMap(5);
        w.WriteTextString("id");
        w.WriteInt64(1);
        w.WriteTextString("exit");
        w.WriteInt32(0);
        w.WriteTextString("status");
        w.WriteInt32((int)InvocationStatus.Completed);
        w.WriteTextString("message");
        w.WriteTextString("ok");
        w.WriteTextString("timings");
        w.WriteStartArray(2);
        w.WriteInt64(1);
        w.WriteInt64(2);
        w.WriteEndArray();
        w.WriteEndMap();

        Assert.Throws<ProtocolException>(() => ResultMessage.Decode(w.Encode()));
    }

    [Fact]
    public void Result_receipt_is_a_slice_of_the_body_and_empty_when_absent()
    {
        var receipt = new byte[300];
        Random.Shared.NextBytes(receipt);
        var body = new ResultMessage(1, InvocationStatus.Completed, 0, "ok", default, default, default, receipt).Encode();

        var back = ResultMessage.Decode(body);

        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(back.Receipt, out var segment));
        Assert.Same(body, segment.Array);
        Assert.Equal(receipt, back.Receipt.ToArray());
        Assert.True(ResultMessage.Decode(new ResultMessage(1, InvocationStatus.Completed, 0, "ok", default, default, default).Encode()).Receipt.IsEmpty);
    }

    [Fact]
    public void Result_without_a_receipt_field_decodes_with_an_empty_receipt()
    {
        var w = new System.Formats.Cbor.CborWriter();
        w.WriteStartMap(4);
        w.WriteTextString("id");
        w.WriteInt64(9);
        w.WriteTextString("exit");
        w.WriteInt32(0);
        w.WriteTextString("status");
        w.WriteInt32(0);
        w.WriteTextString("message");
        w.WriteTextString("ok");
        w.WriteEndMap();

        Assert.True(ResultMessage.Decode(w.Encode()).Receipt.IsEmpty);
    }

    [Fact]
    public void A_result_reason_round_trips_in_canonical_order_and_a_body_without_one_has_none()
    {
        var encoded = new ResultMessage(3, InvocationStatus.InputRejected, 0, "input rejected: envelope authentication failed (chunk 0)",
            default, default, default, new byte[] { 7 }, InputRejectionReason.Inauthentic).Encode();
        var back = ResultMessage.Decode(encoded);
        var withoutReason = ResultMessage.Decode(new ResultMessage(3, InvocationStatus.InputRejected, 0, "refused", default, default, default).Encode());

        Assert.Equal(InputRejectionReason.Inauthentic, back.Reason);
        Assert.Equal((InvocationStatus.InputRejected, 3L), (back.Status, back.InvocationId));
        Assert.Equal([7], back.Receipt.ToArray());
        var reader = new System.Formats.Cbor.CborReader(encoded, System.Formats.Cbor.CborConformanceMode.Canonical);
        reader.SkipValue();
        Assert.Equal(0, reader.BytesRemaining);
        Assert.Null(withoutReason.Reason);
    }

    [Theory]
    [InlineData(InputRejectionReason.Inauthentic, true)]
    [InlineData(InputRejectionReason.TooLarge, true)]
    [InlineData(InputRejectionReason.KeyUnavailable, true)]
    [InlineData(InputRejectionReason.Replay, false)]
    [InlineData(null, false)]
    [InlineData("a-reason-of-a-later-version", false)]
    public void Only_a_known_reason_other_than_replay_leaves_the_request_id_unused(string? reason, bool unused) =>
        Assert.Equal(unused, InputRejectionReason.LeavesRequestIdUnused(reason));

    [Fact]
    public void Failure_round_trips()
    {
        var back = FailureMessage.Decode(new FailureMessage("specialize", "module hash mismatch", Fatal: false).Encode());

        Assert.Equal("specialize", back.Stage);
        Assert.Equal("module hash mismatch", back.Message);
        Assert.False(back.Fatal);
        Assert.Null(back.Reason);
    }

    [Fact]
    public void A_failure_reason_round_trips_in_canonical_order_and_a_body_without_one_has_none()
    {
        var encoded = new FailureMessage("specialize", "cache entry failed authentication", Fatal: false, FailureReason.CachedArtifact).Encode();
        var back = FailureMessage.Decode(encoded);
        var old = new System.Formats.Cbor.CborWriter(System.Formats.Cbor.CborConformanceMode.Canonical);
        old.WriteStartMap(3);
        old.WriteTextString("fatal");
        old.WriteBoolean(true);
        old.WriteTextString("stage");
        old.WriteTextString("invoke");
        old.WriteTextString("message");
        old.WriteTextString("gone");
        old.WriteEndMap();
        var withoutReason = FailureMessage.Decode(old.Encode());

        Assert.Equal(FailureReason.CachedArtifact, back.Reason);
        Assert.Equal(("specialize", false), (back.Stage, back.Fatal));
        var reader = new System.Formats.Cbor.CborReader(encoded, System.Formats.Cbor.CborConformanceMode.Canonical);
        reader.SkipValue();
        Assert.Equal(0, reader.BytesRemaining);
        Assert.Null(withoutReason.Reason);
        Assert.Equal(("invoke", "gone", true), (withoutReason.Stage, withoutReason.Message, withoutReason.Fatal));
    }

    [Fact]
    public void A_missing_field_is_named()
    {
        var body = new System.Formats.Cbor.CborWriter();
        body.WriteStartMap(1);
        body.WriteTextString("id");
        body.WriteInt64(1);
        body.WriteEndMap();

        var error = Assert.Throws<ProtocolException>(() => InvokeMessage.Decode(body.Encode()));

        Assert.Equal("Invoke: missing field 'input'", error.Message);
    }

    [Theory]
    [InlineData(new byte[] { })]
    [InlineData(new byte[] { 0xff })]
    [InlineData(new byte[] { 0x82, 0x01, 0x02 })]
    [InlineData(new byte[] { 0xa1, 0x62, 0x69, 0x64, 0x61, 0x78 })]
    public void Garbage_bodies_are_protocol_errors(byte[] body)
    {
        Assert.Throws<ProtocolException>(() => InvokeMessage.Decode(body));
        Assert.Throws<ProtocolException>(() => ResultMessage.Decode(body));
        Assert.Throws<ProtocolException>(() => ReadyMessage.Decode(body));
    }

    [Fact]
    public void An_unknown_status_is_refused()
    {
        var w = new System.Formats.Cbor.CborWriter();
        w.WriteStartMap(4);
        w.WriteTextString("id");
        w.WriteInt64(1);
        w.WriteTextString("exit");
        w.WriteInt32(0);
        w.WriteTextString("message");
        w.WriteTextString("");
        w.WriteTextString("status");
        w.WriteInt32(99);
        w.WriteEndMap();

        var error = Assert.Throws<ProtocolException>(() => ResultMessage.Decode(w.Encode()));

        Assert.Contains("outside", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0L, 0)]
    [InlineData(23L, 23)]
    [InlineData(24L, 24)]
    [InlineData(255L, 256)]
    [InlineData(65_535L, 65_536)]
    [InlineData(1L << 32, 1 << 20)]
    [InlineData(long.MaxValue, 5)]
    public void An_invoke_prefix_followed_by_the_input_is_exactly_the_canonical_encoding(long id, int length)
    {
        var input = new byte[length];
        Random.Shared.NextBytes(input);

        byte[] streamed = [.. InvokeMessage.EncodePrefix(id, length), .. input];

        Assert.Equal(new InvokeMessage(id, input).Encode(), streamed);
        var back = InvokeMessage.Decode(streamed);
        Assert.Equal(id, back.InvocationId);
        Assert.Equal(input, back.Input.ToArray());
    }

    [Fact]
    public void A_kms_specialisation_round_trips_and_stays_canonical()
    {
        var message = new SpecializeMessage(ReadOnlyMemory<byte>.Empty, ReadOnlyMemory<byte>.Empty, new byte[] { 0, 0x61, 0x73, 0x6d }, ReadOnlyMemory<byte>.Empty, "/img")
        {
            Kms = new KmsProvisioning("https://127.0.0.1:7000/", "demo", "hello", new byte[] { 1, 2, 3 }, new byte[32]),
        };

        var encoded = message.Encode();
        var back = SpecializeMessage.Decode(encoded);

        Assert.NotNull(back.Kms);
        Assert.Equal("https://127.0.0.1:7000/", back.Kms.Endpoint);
        Assert.Equal("demo", back.Kms.Namespace);
        Assert.Equal("hello", back.Kms.Function);
        Assert.Equal(new byte[] { 1, 2, 3 }, back.Kms.Manifest.ToArray());
        Assert.Equal(32, back.Kms.ModuleHash.Length);
        Assert.Equal("/img", back.ImagePath);
        Assert.Equal(encoded, back.Encode());
        Assert.Null(SpecializeMessage.Decode(new SpecializeMessage(new byte[65], new byte[1], ReadOnlyMemory<byte>.Empty, ReadOnlyMemory<byte>.Empty, null).Encode()).Kms);
    }
}
