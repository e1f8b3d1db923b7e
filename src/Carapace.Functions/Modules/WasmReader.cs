using System.Text;
using System.Text.Unicode;

namespace Carapace.Functions.Modules;

/// <summary>
/// Reads the primitive encodings of the WebAssembly binary format (bytes, LEB128 integers, names) from a span,
/// bounds-checking every read. Every failure is a <see cref="ModuleFormatException"/> naming the absolute offset.
/// </summary>
internal ref struct WasmReader
{
    private readonly ReadOnlySpan<byte> _bytes;
    private readonly long _base;
    private int _position;

    public WasmReader(ReadOnlySpan<byte> bytes, long baseOffset)
    {
        _bytes = bytes;
        _base = baseOffset;
        _position = 0;
    }

    public readonly int Remaining => _bytes.Length - _position;

    public readonly bool AtEnd => _position == _bytes.Length;

    /// <summary>The absolute offset of the next byte.</summary>
    public readonly long Offset => _base + _position;

    public byte ReadByte()
    {
        if (_position >= _bytes.Length)
        {
            throw Fail("unexpected end of data");
        }

        return _bytes[_position++];
    }

    public readonly byte PeekByte()
    {
        if (_position >= _bytes.Length)
        {
            throw Fail("unexpected end of data");
        }

        return _bytes[_position];
    }

    public ReadOnlySpan<byte> ReadBytes(int count)
    {
        if (count < 0 || count > Remaining)
        {
            throw Fail($"{count} bytes announced, {Remaining} left");
        }

        var slice = _bytes.Slice(_position, count);
        _position += count;
        return slice;
    }

    /// <summary>A LEB128 unsigned 32-bit integer (at most 5 bytes, no bits beyond 32).</summary>
    public uint ReadU32()
    {
        uint result = 0;
        for (var shift = 0; shift < 35; shift += 7)
        {
            var b = ReadByte();
            if (shift == 28 && (b & 0x70) != 0)
            {
                throw Fail("an unsigned 32-bit integer is too large");
            }

            result |= (uint)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return result;
            }
        }

        throw Fail("an unsigned 32-bit integer is longer than 5 bytes");
    }

    /// <summary>A LEB128 unsigned 64-bit integer (at most 10 bytes, no bits beyond 64).</summary>
    public ulong ReadU64()
    {
        ulong result = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            var b = ReadByte();
            if (shift == 63 && (b & 0x7E) != 0)
            {
                throw Fail("an unsigned 64-bit integer is too large");
            }

            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return result;
            }
        }

        throw Fail("an unsigned 64-bit integer is longer than 10 bytes");
    }

    /// <summary>A LEB128 signed 33-bit integer (a heap type); at most 5 bytes. Only its extent matters here.</summary>
    public long ReadS33()
    {
        long result = 0;
        for (var shift = 0; shift < 35; shift += 7)
        {
            var b = ReadByte();
            result |= (long)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                if (shift < 28 && (b & 0x40) != 0)
                {
                    result |= -1L << (shift + 7);
                }
                else if (shift == 28)
                {
                    // Bits 28..32 of the value, then bits 33 and 34, which must repeat the sign bit (bit 32).
                    var sign = (b & 0x10) != 0;
                    if ((b & 0x60) != (sign ? 0x60 : 0))
                    {
                        throw Fail("a signed 33-bit integer is too large");
                    }

                    if (sign)
                    {
                        result |= -1L << 33;
                    }
                }

                return result;
            }
        }

        throw Fail("a signed 33-bit integer is longer than 5 bytes");
    }

    /// <summary>A count of entries, each at least one byte, no more than <paramref name="max"/>.</summary>
    public int ReadCount(string what, int max)
    {
        var count = ReadU32();
        if (count > (uint)max)
        {
            throw Fail($"{count} {what}; at most {max} are accepted");
        }

        if (count > (uint)Remaining)
        {
            throw Fail($"{count} {what} announced in {Remaining} bytes");
        }

        return (int)count;
    }

    /// <summary>A name: a length and that many bytes of valid UTF-8, at most <paramref name="maxBytes"/> long.</summary>
    public string ReadName(int maxBytes)
    {
        var length = ReadU32();
        if (length > (uint)maxBytes)
        {
            throw Fail($"a name of {length} bytes; at most {maxBytes} are accepted");
        }

        var bytes = ReadBytes((int)length);
        if (!Utf8.IsValid(bytes))
        {
            throw Fail("a name is not valid UTF-8");
        }

        return Encoding.UTF8.GetString(bytes);
    }

    public readonly ModuleFormatException Fail(string message) => new(message, Offset);
}
