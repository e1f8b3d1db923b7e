using System.Buffers.Binary;
using System.Text;
using Carapace.Envelope.Keys;
using Carapace.Envelope.Replay;
using Carapace.Envelope.Sealing;
using Carapace.Envelope.Tests.Support;
using Carapace.Envelope.Tests.Tampering;

namespace Carapace.Envelope.Tests.Secrecy;

/// <summary>No error message (nor ToString, with its stack trace) contains plaintext or key bytes in any encoding.</summary>
public sealed class ErrorMessageSecrecyTests
{
    public static TheoryData<string, OpenApi> Scenarios()
    {
        var data = new TheoryData<string, OpenApi>();
        foreach (var scenario in new[]
                 {
                     "flipped-chunk-0", "flipped-chunk-2", "flipped-metadata", "truncated-boundary", "truncated-inside", "wrong-key",
                     "replay", "too-large", "bad-magic", "version", "appended",
                 })
        {
            foreach (var api in Envelopes.OpenApis)
            {
                data.Add(scenario, api);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void Envelope_errors_contain_neither_plaintext_nor_key_material(string scenario, OpenApi api)
    {
        using var master = TestKeys.Master();
        using var key = master.Derive(TestKeys.Chain, 0, 1);
        var e = Sample.Seal(key);
        var l = Layout.Of(e);
        var options = new OpenOptions();
        var openWith = key;
        using var wrong = TestKeys.Edge(masterStart: 7);
        switch (scenario)
        {
            case "flipped-chunk-0": e = Bytes.WithXor(e, l.Chunks[0].Start.GetOffset(e.Length), 1); break;
            case "flipped-chunk-2": e = Bytes.WithXor(e, e.Length - 1, 1); break;
            case "flipped-metadata": e = Bytes.WithXor(e, l.HeaderLength - 1, 1); break;
            case "truncated-boundary": e = e[..l.Chunks[1].End.GetOffset(e.Length)]; break;
            case "truncated-inside": e = e[..(l.Chunks[1].End.GetOffset(e.Length) - 3)]; break;
            case "wrong-key": openWith = wrong; break;
            case "replay":
                options = new OpenOptions { ReplayGuard = new ReplayGuard() };
                Envelopes.Open(api, key, e, options);
                break;
            case "too-large": options = new OpenOptions { MaxPayloadBytes = 100 }; break;
            case "bad-magic": e[0] = (byte)'X'; break;
            case "version": e[4] = 9; break;
            default: e = Bytes.Concat(e, Payloads.WithMarker(40)); break;
        }

        var error = Envelopes.Reject(api, openWith, e, options);

        AssertClean(error, master, key, wrong);
    }

    [Fact]
    public void Metadata_errors_do_not_echo_long_attacker_chosen_field_names()
    {
        var w = new System.Formats.Cbor.CborWriter(System.Formats.Cbor.CborConformanceMode.Lax);
        w.WriteStartMap(8);
        for (var i = 0; i < 8; i++)
        {
            w.WriteTextString(i + Payloads.Marker + Payloads.Marker);
            w.WriteTextString("x");
        }

        w.WriteEndMap();

        var error = Assert.Throws<EnvelopeException>(() => Envelope.Format.MetadataCodec.Decode(w.Encode()));

        Assert.Equal(EnvelopeErrorKind.Malformed, error.Kind);
        Assert.Contains("unknown field", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Payloads.Marker + Payloads.Marker, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Key_file_errors_do_not_contain_the_key_text()
    {
        // 31 bytes: one short of a key, so parsing fails after the base64 is read.
        var secret = TestKeys.MasterBytes(start: 200)[..31];
        var base64 = Convert.ToBase64String(secret);
        var content = Encoding.ASCII.GetBytes(KeyFile.Prefix + base64 + "\n");

        var error = Assert.Throws<KeyFileException>(() => KeyFile.Parse(content, "secret.key"));

        Assert.DoesNotContain(base64, error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToHexString(secret), error.ToString(), StringComparison.OrdinalIgnoreCase);
    }

    private static void AssertClean(Exception error, MasterKey master, EdgeKey key, EdgeKey wrong)
    {
        var texts = new[] { error.Message, error.ToString() };
        var forbidden = new List<string> { Payloads.Marker, "ZEBRA" };
        foreach (var bytes in new[] { Copy(master.CopyTo, MasterKey.Size), TestKeys.EdgeBytes(key), TestKeys.EdgeBytes(wrong) })
        {
            forbidden.Add(Convert.ToHexString(bytes));
            forbidden.Add(Convert.ToHexString(bytes.AsSpan(0, 8)));
            forbidden.Add(Convert.ToBase64String(bytes));
            forbidden.Add(Convert.ToBase64String(bytes.AsSpan(0, 9)));
            forbidden.Add(BinaryPrimitives.ReadUInt64BigEndian(bytes).ToString("x16", System.Globalization.CultureInfo.InvariantCulture));
        }

        foreach (var text in texts)
        {
            foreach (var secret in forbidden)
            {
                Assert.DoesNotContain(secret, text, StringComparison.OrdinalIgnoreCase);
            }
        }
    }

    private static byte[] Copy(Action<Span<byte>> copyTo, int size)
    {
        var bytes = new byte[size];
        copyTo(bytes);
        return bytes;
    }
}
