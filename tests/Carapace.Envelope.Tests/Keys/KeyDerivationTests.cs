using Carapace.Envelope.Keys;
using Carapace.Envelope.Tests.Support;

namespace Carapace.Envelope.Tests.Keys;

/// <summary>Edge keys are a deterministic function of master key, chain and both steps, and differ when any of them does.</summary>
public sealed class KeyDerivationTests
{
    [Fact]
    public void Derive_is_deterministic()
    {
        using var a = TestKeys.Edge("chain", 3, 4);
        using var b = TestKeys.Edge("chain", 3, 4);

        Assert.Equal(TestKeys.EdgeBytes(a), TestKeys.EdgeBytes(b));
        Assert.Equal(a.Id, b.Id);
        Assert.Equal(("chain", 3, 4), (a.ChainId, a.FromStep, a.ToStep));
    }

    [Fact]
    public void Derive_gives_a_different_key_for_every_master_chain_and_edge()
    {
        var variants = new (string Chain, int From, int To, int Master)[]
        {
            ("chain", 0, 1, 0), ("chain", 1, 0, 0), ("chain", 0, 2, 0), ("chain", 1, 1, 0), ("chain", 1, 2, 0),
            ("chain2", 0, 1, 0), ("chai", 0, 1, 0), ("Chain", 0, 1, 0), (string.Empty, 0, 1, 0), ("chain", 0, 1, 1),
            ("chain", 256, 1, 0), ("chain", 0, 257, 0), ("chain", 65_536, 0, 0),
        };
        var keys = new List<byte[]>();
        var ids = new HashSet<KeyId>();

        foreach (var (chain, from, to, master) in variants)
        {
            using var key = TestKeys.Edge(chain, from, to, master);
            keys.Add(TestKeys.EdgeBytes(key));
            ids.Add(key.Id);
        }

        Assert.Equal(variants.Length, keys.Select(Convert.ToHexString).Distinct().Count());
        Assert.Equal(variants.Length, ids.Count);
    }

    [Fact]
    public void Chain_ids_cannot_be_confused_by_moving_bytes_between_chain_and_steps()
    {
        // The chain is length-prefixed, so "a" + steps cannot collide with a longer chain whose tail looks like steps.
        using var a = TestKeys.Edge("a", 0, 1);
        using var b = TestKeys.Edge("a\0\0\0\0", 0, 1);

        Assert.NotEqual(a.Id, b.Id);
    }

    [Fact]
    public void Edge_key_from_bytes_equals_the_derived_key()
    {
        using var derived = TestKeys.Edge("c", 1, 2);

        using var wrapped = EdgeKey.FromBytes(TestKeys.EdgeBytes(derived), "c", 1, 2);

        Assert.Equal(derived.Id, wrapped.Id);
        Assert.Equal(TestKeys.EdgeBytes(derived), TestKeys.EdgeBytes(wrapped));
    }

    [Fact]
    public void Generated_master_keys_are_distinct()
    {
        using var a = MasterKey.Generate();
        using var b = MasterKey.Generate();

        Assert.NotEqual(a.Id, b.Id);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(31)]
    [InlineData(33)]
    public void Keys_must_be_32_bytes(int length)
    {
        Assert.Throws<ArgumentException>(() => MasterKey.FromBytes(new byte[length]));
        Assert.Throws<ArgumentException>(() => EdgeKey.FromBytes(new byte[length], "c", 0, 1));
    }

    [Fact]
    public void Derive_rejects_negative_steps_and_overlong_chain_ids()
    {
        using var master = TestKeys.Master();

        Assert.Throws<ArgumentOutOfRangeException>(() => master.Derive("c", -1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => master.Derive("c", 0, -1));
        Assert.Throws<ArgumentException>(() => master.Derive(new string('é', 129), 0, 1));
        master.Derive(new string('x', 256), 0, 1).Dispose();
    }
}
