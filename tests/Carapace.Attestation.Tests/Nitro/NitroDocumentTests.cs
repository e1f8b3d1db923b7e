using System.Formats.Cbor;
using Carapace.Attestation.Nitro;

namespace Carapace.Attestation.Tests.Nitro;

public sealed class NitroDocumentTests
{
    [Fact]
    public void Parse_reads_the_fields_of_the_evervault_vector()
    {
        var document = NitroDocument.Parse(NitroTestData.Document);

        Assert.Equal(NitroTestData.ModuleId, document.ModuleId);
        Assert.Equal("SHA384", document.Digest);
        Assert.Equal(NitroTestData.Timestamp, document.TimestampMilliseconds);
        Assert.Equal(Vectors.Utc("2022-10-13T08:58:02.136Z"), document.Timestamp);
        Assert.Equal(16, document.Pcrs.Count);
        Assert.Equal(NitroTestData.Pcr0, Convert.ToHexStringLower(document.Pcrs[0].Span));
        Assert.Equal(NitroTestData.Pcr8, Convert.ToHexStringLower(document.Pcrs[8].Span));
        Assert.Equal(4, document.CaBundle.Count);
        Assert.Equal(TrustAnchors.BuiltIn.Nitro[0].RawData, document.CaBundle[0].ToArray());
        Assert.Null(document.UserData);
        Assert.Null(document.PublicKey);
        Assert.Equal(256, document.Nonce?.Length);
    }

    [Fact]
    public void Parse_accepts_the_document_under_COSE_Sign1_tag_18()
    {
        byte[] tagged = [0xD2, .. NitroTestData.Document];

        Assert.Equal(NitroTestData.ModuleId, NitroDocument.Parse(tagged).ModuleId);
    }

    [Fact]
    public void Parse_rejects_another_tag()
    {
        byte[] tagged = [0xD8, 0x62, .. NitroTestData.Document]; // tag 98, COSE_Sign

        Assert.Equal(AttestationFailureReason.Malformed, Assert.Throws<AttestationException>(() => NitroDocument.Parse(tagged)).Reason);
    }

    [Fact]
    public void Parse_rejects_bytes_after_the_document()
    {
        byte[] padded = [.. NitroTestData.Document, 0x00];

        var e = Assert.Throws<AttestationException>(() => NitroDocument.Parse(padded));

        Assert.Equal(AttestationFailureReason.Malformed, e.Reason);
        Assert.Contains("after", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-7)] // ES256
    [InlineData(-36)] // ES512
    [InlineData(-37)] // PS256
    public void Parse_rejects_an_algorithm_other_than_ES384(long algorithm)
    {
        using var fake = new FakeNitro();

        var e = Assert.Throws<AttestationException>(() => NitroDocument.Parse(fake.Sign(fake.Fields(), algorithm)));

        Assert.Equal(AttestationFailureReason.UnsupportedVersion, e.Reason);
        Assert.Contains(algorithm.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")] // empty protected header
    [InlineData("a0")] // empty map
    [InlineData("a1036161")] // content type only
    [InlineData("a1016161")] // algorithm that is not an integer
    [InlineData("a101")] // truncated CBOR
    [InlineData("80")] // an array
    [InlineData("a1013822ff")] // a byte after the map
    [InlineData("a20138220126")] // algorithm given twice: {1: -35, 1: -7}
    public void Parse_rejects_a_protected_header_without_an_integer_algorithm(string header)
    {
        using var fake = new FakeNitro();
        var document = fake.Sign(fake.Fields(), protectedHeader: Convert.FromHexString(header));

        Assert.Equal(AttestationFailureReason.Malformed, Assert.Throws<AttestationException>(() => NitroDocument.Parse(document)).Reason);
    }

    [Fact]
    public void Parse_finds_the_algorithm_among_other_protected_header_parameters()
    {
        using var fake = new FakeNitro();
        var header = Convert.FromHexString("a2036161013822"); // {3: "a", 1: -35}

        Assert.Equal("i-test-enc0", NitroDocument.Parse(fake.Sign(fake.Fields(), protectedHeader: header)).ModuleId);
    }

    [Fact]
    public void Parse_rejects_a_digest_other_than_SHA384()
    {
        using var fake = new FakeNitro();
        var fields = Set(fake.Fields(), "digest", w => w.WriteTextString("SHA256"));

        Assert.Equal(AttestationFailureReason.UnsupportedVersion, Assert.Throws<AttestationException>(() => NitroDocument.Parse(fake.Sign(fields))).Reason);
    }

    [Theory]
    [InlineData("module_id")]
    [InlineData("digest")]
    [InlineData("timestamp")]
    [InlineData("pcrs")]
    [InlineData("certificate")]
    [InlineData("cabundle")]
    public void Parse_rejects_a_payload_without_a_required_field(string key)
    {
        using var fake = new FakeNitro();
        var fields = fake.Fields().Where(f => f.Key != key);

        var e = Assert.Throws<AttestationException>(() => NitroDocument.Parse(fake.Sign(fields)));

        Assert.Equal(AttestationFailureReason.Malformed, e.Reason);
        Assert.Contains(key, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_rejects_a_payload_key_given_twice()
    {
        using var fake = new FakeNitro();
        var fields = fake.Fields();
        fields.Add(("user_data", w => w.WriteByteString([1, 2, 3])));

        var e = Assert.Throws<AttestationException>(() => NitroDocument.Parse(fake.Sign(fields)));

        Assert.Equal(AttestationFailureReason.Malformed, e.Reason);
    }

    public static TheoryData<string, string> WrongTypes => new()
    {
        { "module_id", "bytes" },
        { "module_id", "empty text" },
        { "digest", "bytes" },
        { "timestamp", "negative" },
        { "timestamp", "text" },
        { "timestamp", "zero" },
        { "pcrs", "array" },
        { "certificate", "text" },
        { "certificate", "empty bytes" },
        { "cabundle", "map" },
        { "cabundle", "empty array" },
        { "cabundle", "array of text" },
        { "public_key", "text" },
        { "public_key", "empty bytes" },
        { "user_data", "text" },
        { "user_data", "1025 bytes" },
        { "nonce", "integer" },
        { "nonce", "1025 bytes" },
    };

    [Theory]
    [MemberData(nameof(WrongTypes))]
    public void Parse_rejects_a_field_of_the_wrong_type_or_size(string key, string wrong)
    {
        using var fake = new FakeNitro();
        Action<CborWriter> write = wrong switch
        {
            "bytes" => w => w.WriteByteString([1]),
            "empty text" => w => w.WriteTextString(""),
            "negative" => w => w.WriteInt64(-1),
            "text" => w => w.WriteTextString("x"),
            "zero" => w => w.WriteUInt64(0),
            "array" => w => FakeNitro.ByteStrings(w, FakeNitro.Pcr(1)),
            "empty bytes" => w => w.WriteByteString([]),
            "map" => w => { w.WriteStartMap(0); w.WriteEndMap(); }
            ,
            "empty array" => w => FakeNitro.ByteStrings(w),
            "array of text" => w => { w.WriteStartArray(1); w.WriteTextString("x"); w.WriteEndArray(); }
            ,
            "1025 bytes" => w => w.WriteByteString(new byte[1025]),
            "integer" => w => w.WriteInt32(5),
            _ => throw new ArgumentOutOfRangeException(nameof(wrong)),
        };
        var fields = Set(fake.Fields(), key, write);

        var e = Assert.Throws<AttestationException>(() => NitroDocument.Parse(fake.Sign(fields)));

        Assert.Equal(AttestationFailureReason.Malformed, e.Reason);
    }

    [Theory]
    [InlineData(0, 47)]
    [InlineData(0, 0)]
    [InlineData(32, 48)]
    public void Parse_rejects_a_PCR_of_the_wrong_size_or_index(int index, int length)
    {
        using var fake = new FakeNitro();
        var fields = Set(fake.Fields(), "pcrs", w => FakeNitro.Pcrs(w, [(index, FakeNitro.Pcr(1, length))]));

        Assert.Equal(AttestationFailureReason.Malformed, Assert.Throws<AttestationException>(() => NitroDocument.Parse(fake.Sign(fields))).Reason);
    }

    [Fact]
    public void Parse_rejects_a_PCR_given_twice()
    {
        using var fake = new FakeNitro();
        var fields = Set(fake.Fields(), "pcrs", w => FakeNitro.Pcrs(w, [(0, FakeNitro.Pcr(1)), (0, FakeNitro.Pcr(2))]));

        Assert.Equal(AttestationFailureReason.Malformed, Assert.Throws<AttestationException>(() => NitroDocument.Parse(fake.Sign(fields))).Reason);
    }

    [Fact]
    public void Parse_accepts_optional_fields_up_to_1024_bytes_and_PCRs_of_32_and_64_bytes()
    {
        using var fake = new FakeNitro();
        var fields = Set(fake.Fields(), "user_data", w => w.WriteByteString(new byte[1024]));
        fields = Set(fields, "nonce", w => w.WriteByteString([]));
        fields = Set(fields, "pcrs", w => FakeNitro.Pcrs(w, [(0, FakeNitro.Pcr(1, 32)), (31, FakeNitro.Pcr(2, 64))]));

        var document = NitroDocument.Parse(fake.Sign(fields));

        Assert.Equal(1024, document.UserData?.Length);
        Assert.Equal(0, document.Nonce?.Length);
        Assert.Equal(64, document.Pcrs[31].Length);
    }

    [Fact]
    public void Parse_ignores_a_payload_field_AWS_does_not_document()
    {
        using var fake = new FakeNitro();
        var fields = fake.Fields();
        fields.Insert(3, ("future_field", w => { w.WriteStartMap(1); w.WriteTextString("a"); w.WriteInt32(1); w.WriteEndMap(); }));

        Assert.Equal("i-test-enc0", NitroDocument.Parse(fake.Sign(fields)).ModuleId);
    }

    internal static List<(string Key, Action<CborWriter> Write)> Set(List<(string Key, Action<CborWriter> Write)> fields, string key, Action<CborWriter> write)
    {
        var index = fields.FindIndex(f => f.Key == key);
        fields[index] = (key, write);
        return fields;
    }
}
