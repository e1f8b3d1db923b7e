using Carapace.Cli.Infrastructure;

namespace Carapace.Cli.Tests.Infrastructure;

public sealed class ByteSizeTests
{
    [Theory]
    [InlineData("1024", 1024)]
    [InlineData("64KiB", 65536)]
    [InlineData("64k", 65536)]
    [InlineData("1MiB", 1048576)]
    [InlineData("1m", 1048576)]
    [InlineData("2GiB", 2147483648)]
    [InlineData("12b", 12)]
    public void Parses_plain_and_suffixed_sizes(string text, long expected)
    {
        Assert.True(ByteSize.TryParse(text, out var bytes));
        Assert.Equal(expected, bytes);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-1")]
    [InlineData("1.5MiB")]
    [InlineData("lots")]
    [InlineData("99999999999999999999GiB")]
    public void Rejects_what_is_not_a_size(string text) => Assert.False(ByteSize.TryParse(text, out _));

    [Theory]
    [InlineData(1024, "1KiB")]
    [InlineData(65536, "64KiB")]
    [InlineData(1048576, "1MiB")]
    [InlineData(1000, "1000B")]
    public void Formats_whole_units(long bytes, string expected) => Assert.Equal(expected, ByteSize.Format(bytes));
}
