using Carapace.Envelope.Keys;
using Carapace.Envelope.Tests.Support;

namespace Carapace.Envelope.Tests.Keys;

/// <summary>Key ids are 16 lower-case hex digits, equal exactly for equal keys.</summary>
public sealed class KeyIdTests
{
    [Fact]
    public void Key_id_is_16_lower_case_hex_digits()
    {
        using var master = TestKeys.Master();
        using var edge = master.Derive("c", 0, 1);

        foreach (var text in new[] { master.Id.ToString(), edge.Id.ToString() })
        {
            Assert.Matches("^[0-9a-f]{16}$", text);
        }
    }

    [Fact]
    public void Equal_keys_have_equal_ids_and_different_keys_different_ids()
    {
        using var a = TestKeys.Master();
        using var b = TestKeys.Master();
        using var c = TestKeys.Master(start: 1);

        Assert.Equal(a.Id, b.Id);
        Assert.NotEqual(a.Id, c.Id);
        Assert.Equal(KeyId.Of(TestKeys.MasterBytes()), a.Id);
    }

    [Fact]
    public void Master_and_edge_key_ids_differ()
    {
        using var master = TestKeys.Master();
        using var edge = master.Derive("c", 0, 1);

        Assert.NotEqual(master.Id, edge.Id);
    }

    [Fact]
    public void Key_id_round_trips_through_its_text_form()
    {
        using var key = TestKeys.Edge();

        Assert.True(KeyId.TryParse(key.Id.ToString(), out var parsed));
        Assert.Equal(key.Id, parsed);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("0123456789abcde")]
    [InlineData("0123456789abcdef0")]
    [InlineData("0123456789abcdeg")]
    [InlineData(" 123456789abcdef")]
    [InlineData("-123456789abcdef")]
    public void Key_id_parsing_rejects_anything_but_16_hex_digits(string? text)
    {
        Assert.False(KeyId.TryParse(text, out _));
    }

    [Fact]
    public void Key_id_does_not_contain_the_key_bytes()
    {
        var bytes = TestKeys.MasterBytes();
        using var key = MasterKey.FromBytes(bytes);

        Assert.DoesNotContain(Convert.ToHexStringLower(bytes[..8]), key.Id.ToString(), StringComparison.Ordinal);
    }
}
