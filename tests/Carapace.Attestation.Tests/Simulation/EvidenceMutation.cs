using FsCheck;
using FsCheck.Fluent;

namespace Carapace.Attestation.Tests.Simulation;

/// <summary>One random change to evidence bytes: flip, overwrite, truncate, insert or append.</summary>
internal sealed record EvidenceMutation(int Kind, int Position, byte Value, int Count)
{
    public static Arbitrary<EvidenceMutation> Arbitrary(int length) =>
        (from kind in Gen.Choose(0, 4)
         from position in Gen.Choose(0, length - 1)
         from value in Gen.Choose(0, 255)
         from count in Gen.Choose(1, 16)
         select new EvidenceMutation(kind, position, (byte)value, count)).ToArbitrary();

    public byte[] Apply(byte[] original)
    {
        var bytes = original.ToList();
        switch (Kind)
        {
            case 0:
                bytes[Position] ^= (byte)(Value | 1);
                break;
            case 1:
                for (var i = Position; i < Math.Min(bytes.Count, Position + Count); i++)
                {
                    bytes[i] = Value;
                }

                break;
            case 2:
                bytes.RemoveRange(Position, bytes.Count - Position);
                break;
            case 3:
                bytes.InsertRange(Position, Enumerable.Repeat(Value, Count));
                break;
            default:
                bytes.AddRange(Enumerable.Repeat(Value, Count));
                break;
        }

        return [.. bytes];
    }
}
