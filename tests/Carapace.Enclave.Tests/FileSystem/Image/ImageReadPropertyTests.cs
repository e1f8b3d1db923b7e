using Carapace.Enclave.FileSystem;
using Carapace.Enclave.Wasi;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Carapace.Enclave.Tests.FileSystem.Image;

/// <summary>One read: which file, where, how much.</summary>
public sealed record ReadCase(string Path, long Offset, int Length)
{
    public override string ToString() => $"{Path} @{Offset} +{Length}";
}

/// <summary>Reads at offsets and lengths near block boundaries, and anywhere.</summary>
public static class ReadCaseArbitraries
{
    private static readonly (string Path, int Length)[] s_files =
        [("big.bin", 5 * 1024 * 1024), ("a/b/c/4097.bin", 4097), ("a/4096.bin", 4096), ("a/4095.bin", 4095), ("one.bin", 1), ("empty.txt", 0)];

    public static Arbitrary<ReadCase> ReadCases() =>
        (from file in Gen.Elements(s_files)
         from offset in Positions(file.Length)
         from length in Gen.Frequency(
             (2, Gen.Choose(0, 9000)),
             (1, Gen.Elements(1, 4095, 4096, 4097, 8192, 65536, 65537, 200_000)),
             (1, Gen.Choose(0, 600_000)))
         select new ReadCase(file.Path, offset, length)).ToArbitrary();

    private static Gen<long> Positions(int length) =>
        Gen.Frequency(
            (2, Gen.Choose(0, length + 10).Select(p => (long)p)),
            (2, from block in Gen.Choose(0, (length / 4096) + 1)
                from delta in Gen.Choose(-2, 2)
                select (long)Math.Max(0, (block * 4096) + delta)),
            (1, Gen.Elements(0L, length, length + 1L, long.MaxValue / 2)));
}

/// <summary>Any read, at any offset and length, returns exactly the source bytes there.</summary>
public sealed class ImageReadPropertyTests(SampleImageFixture fixture) : IClassFixture<SampleImageFixture>
{
    [Property(MaxTest = 500, Arbitrary = [typeof(ReadCaseArbitraries)])]
    public void Reads_match_the_source(ReadCase c)
    {
        var source = fixture.Files[c.Path];
        Assert.Equal(Errno.Success, fixture.Image.Open(c.Path, OpenFlags.None, out var handle));
        using (handle)
        {
            var buffer = new byte[c.Length];
            Assert.Equal(Errno.Success, handle!.Read(c.Offset, buffer, out var read));
            var expected = c.Offset >= source.Length ? 0 : (int)Math.Min(c.Length, source.Length - c.Offset);
            Assert.Equal(expected, read);
            Assert.True(source.AsSpan((int)Math.Min(c.Offset, source.Length), read).SequenceEqual(buffer.AsSpan(0, read)));
        }
    }

    [Property(MaxTest = 100, Arbitrary = [typeof(ReadCaseArbitraries)])]
    public void Sequences_of_reads_through_one_handle_match_the_source(ReadCase[] cases)
    {
        var source = fixture.Files["big.bin"];
        Assert.Equal(Errno.Success, fixture.Image.Open("big.bin", OpenFlags.None, out var handle));
        using (handle)
        {
            foreach (var c in cases)
            {
                var buffer = new byte[Math.Min(c.Length, 70_000)];
                Assert.Equal(Errno.Success, handle!.Read(c.Offset, buffer, out var read));
                var expected = c.Offset >= source.Length ? 0 : (int)Math.Min(buffer.Length, source.Length - c.Offset);
                Assert.Equal(expected, read);
                Assert.True(source.AsSpan((int)Math.Min(c.Offset, source.Length), read).SequenceEqual(buffer.AsSpan(0, read)));
            }
        }
    }
}
