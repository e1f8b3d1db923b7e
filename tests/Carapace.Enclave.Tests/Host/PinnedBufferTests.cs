using Carapace.Enclave.Host;

namespace Carapace.Enclave.Tests.Host;

public sealed class PinnedBufferTests
{
    [Fact]
    public void Clear_zeroes_bytes_a_writer_touched_beyond_what_it_advanced_over()
    {
        using var buffer = new PinnedBuffer(64 * 1024);
        var lent = buffer.GetSpan(100);
        lent.Fill(0xAA);
        buffer.Advance(10);

        buffer.Clear();

        Assert.Equal(0, buffer.WrittenSpan.Length);
        Assert.All(buffer.GetSpan(lent.Length).ToArray(), b => Assert.Equal(0, b));
    }

    [Fact]
    public void Growing_keeps_the_content_and_clear_zeroes_the_new_array()
    {
        using var buffer = new PinnedBuffer(16);
        buffer.GetSpan(8).Fill(1);
        buffer.Advance(8);
        buffer.GetSpan(100_000).Fill(2);
        buffer.Advance(100_000);

        Assert.Equal(100_008, buffer.WrittenSpan.Length);
        Assert.Equal(1, buffer.WrittenSpan[7]);
        Assert.Equal(2, buffer.WrittenSpan[100_007]);

        buffer.Clear();
        Assert.All(buffer.GetSpan(100_008).ToArray(), b => Assert.Equal(0, b));
    }

    [Fact]
    public void Spans_handed_out_are_never_empty_and_at_least_the_hint()
    {
        using var buffer = new PinnedBuffer(16);
        Assert.True(buffer.GetSpan().Length >= 1);
        Assert.True(buffer.GetSpan(10_000).Length >= 10_000);
        Assert.True(buffer.GetMemory(70_000).Length >= 70_000);
    }
}
