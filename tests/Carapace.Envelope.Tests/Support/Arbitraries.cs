using Carapace.Envelope.Format;
using FsCheck;
using FsCheck.Fluent;

namespace Carapace.Envelope.Tests.Support;

/// <summary>A payload size for a given chunk size, and whether to pad.</summary>
public sealed record SizeCase(int ChunkSize, int Length, bool Pad, int Seed)
{
    public byte[] Payload() => Payloads.Random(Length, Seed);

    public override string ToString() => $"chunk {ChunkSize}, {Length} bytes, pad {Pad}, seed {Seed}";
}

/// <summary>Metadata to seal with: the edge (chain, steps) and the seal options.</summary>
public sealed record MetadataCase(
    string Chain, int From, int To, string Function, string ContentType, IReadOnlyDictionary<string, string> Attributes, byte[] RequestId)
{
    public override string ToString() =>
        $"chain '{Chain}' {From}->{To}, fn '{Function}', ct '{ContentType}', {Attributes.Count} attributes " +
        $"[{string.Join(", ", Attributes.Select(a => $"{a.Key}={a.Value}"))}], rid {Convert.ToHexString(RequestId)}";
}

/// <summary>FsCheck generators for envelope tests (register with <c>[Property(Arbitrary = [typeof(EnvelopeArbitraries)])]</c>).</summary>
public static class EnvelopeArbitraries
{
    // Letters, digits, punctuation, a two-byte, a three-byte and a four-byte (surrogate pair) character.
    private static readonly string[] s_alphabet =
        ["a", "b", "z", "A", "Q", "0", "9", "-", "_", "/", " ", ".", ";", "=", "é", "ß", "日", "本", "🦀", "\u0000", "\n"];

    public static Arbitrary<SizeCase> SizeCases() =>
        (from chunkSize in Gen.Elements(64, 128, 256)
         from length in Lengths(chunkSize)
         from pad in Gen.Elements(false, true)
         from seed in Gen.Choose(0, int.MaxValue)
         select new SizeCase(chunkSize, length, pad, seed)).ToArbitrary();

    public static Arbitrary<MetadataCase> MetadataCases() =>
        (from chain in Text(1, 24)
         from fromStep in Gen.Choose(0, 100)
         from toStep in Gen.Choose(0, 100)
         from function in Text(0, 24)
         from contentType in Text(0, 24)
         from attributes in Attributes()
         from rid in Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), RequestId.Size)
         select new MetadataCase(chain, fromStep, toStep, function, contentType, attributes, rid)).ToArbitrary();

    /// <summary>0 to 3 chunks: uniform sizes, and exact chunk boundaries k·chunk and k·chunk ± 1.</summary>
    private static Gen<int> Lengths(int chunkSize) =>
        Gen.Frequency(
            (1, Gen.Choose(0, (3 * chunkSize) + 1)),
            (1, from k in Gen.Choose(0, 3)
                from delta in Gen.Choose(-1, 1)
                select Math.Max(0, (k * chunkSize) + delta)));

    private static Gen<string> Text(int min, int max) =>
        from length in Gen.Choose(min, max)
        from parts in Gen.ArrayOf(Gen.Elements(s_alphabet), length)
        select string.Concat(parts);

    private static Gen<IReadOnlyDictionary<string, string>> Attributes() =>
        from count in Gen.Choose(0, 6)
        from names in Gen.ArrayOf(Text(1, 12), count)
        from values in Gen.ArrayOf(Text(0, 20), count)
        select (IReadOnlyDictionary<string, string>)names
            .Zip(values)
            .DistinctBy(p => p.First, StringComparer.Ordinal)
            .ToDictionary(p => p.First, p => p.Second, StringComparer.Ordinal);
}
