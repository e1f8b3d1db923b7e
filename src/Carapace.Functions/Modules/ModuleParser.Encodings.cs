namespace Carapace.Functions.Modules;

// The encodings inside sections: value, reference and field types, limits, and constant expressions (stepped over).
internal sealed partial class ModuleParser
{
    private static List<WasmValueType> ReadValueTypes(ref WasmReader r, string what)
    {
        var count = r.ReadCount(what, ModuleInterface.MaxSignatureTypes);
        var types = new List<WasmValueType>(count);
        for (var i = 0; i < count; i++)
        {
            types.Add(ReadValueType(ref r));
        }

        return types;
    }

    private static WasmValueType ReadValueType(ref WasmReader r)
    {
        var b = r.ReadByte();
        return b switch
        {
            0x7F => WasmValueType.I32,
            0x7E => WasmValueType.I64,
            0x7D => WasmValueType.F32,
            0x7C => WasmValueType.F64,
            0x7B => WasmValueType.V128,
            _ => ReadReferenceType(ref r, b),
        };
    }

    /// <summary>A reference type whose first byte, <paramref name="b"/>, is already read.</summary>
    private static WasmValueType ReadReferenceType(ref WasmReader r, byte b)
    {
        switch (b)
        {
            case 0x70:
                return WasmValueType.FuncRef;
            case 0x6F:
                return WasmValueType.ExternRef;
            case 0x63 or 0x64:
                r.ReadS33();
                return WasmValueType.OtherRef;
            case >= 0x69 and <= 0x74:
                return WasmValueType.OtherRef;
            default:
                throw r.Fail($"unknown value type 0x{b:x2}");
        }
    }

    private static void ReadFieldType(ref WasmReader r)
    {
        if (r.PeekByte() is 0x78 or 0x77)
        {
            r.ReadByte();
        }
        else
        {
            ReadValueType(ref r);
        }

        ReadFlag(ref r, "mutability");
    }

    private static void ReadFlag(ref WasmReader r, string what)
    {
        if (r.ReadByte() > 1)
        {
            throw r.Fail($"a {what} flag is neither 0 nor 1");
        }
    }

    /// <summary>Memory or table limits (a table's use only the maximum and 64-bit flags).</summary>
    private static MemoryType ReadLimits(ref WasmReader r, bool memory)
    {
        var flags = r.ReadByte();
        var allowed = memory ? 0x0F : 0x05;
        if ((flags & ~allowed) != 0)
        {
            throw r.Fail($"unknown {(memory ? "memory" : "table")} limit flags 0x{flags:x2}");
        }

        var is64 = (flags & 0x04) != 0;
        var minimum = is64 ? r.ReadU64() : r.ReadU32();
        ulong? maximum = (flags & 0x01) != 0 ? (is64 ? r.ReadU64() : r.ReadU32()) : null;
        var pageSizeLog2 = 16;
        if ((flags & 0x08) != 0)
        {
            var log2 = r.ReadU32();
            if (log2 > 16)
            {
                throw r.Fail($"a custom page size of 2^{log2} bytes");
            }

            pageSizeLog2 = (int)log2;
        }

        return new MemoryType(minimum, maximum, is64, (flags & 0x02) != 0, pageSizeLog2);
    }

    /// <summary>Steps over a constant expression (up to its <c>end</c>), knowing the immediates of every constant instruction.</summary>
    private static void SkipConstantExpression(ref WasmReader r)
    {
        for (var i = 0; i < ModuleInterface.MaxConstantInstructions; i++)
        {
            var opcode = r.ReadByte();
            switch (opcode)
            {
                case 0x0B: // end
                    return;
                case 0x41: // i32.const
                case 0x42: // i64.const
                    SkipSignedInteger(ref r, opcode == 0x41 ? 5 : 10);
                    break;
                case 0x43: // f32.const
                    r.ReadBytes(4);
                    break;
                case 0x44: // f64.const
                    r.ReadBytes(8);
                    break;
                case 0x23: // global.get
                case 0xD2: // ref.func
                    r.ReadU32();
                    break;
                case 0xD0: // ref.null
                    r.ReadS33();
                    break;
                case 0x6A or 0x6B or 0x6C or 0x7C or 0x7D or 0x7E: // extended-const arithmetic
                    break;
                case 0xFB: // GC
                    SkipGcConstant(ref r, r.ReadU32());
                    break;
                case 0xFD: // SIMD: only v128.const is constant
                    var simd = r.ReadU32();
                    if (simd != 12)
                    {
                        throw r.Fail($"SIMD opcode {simd} is not a constant instruction");
                    }

                    r.ReadBytes(16);
                    break;
                default:
                    throw r.Fail($"opcode 0x{opcode:x2} is not a constant instruction Carapace knows");
            }
        }

        throw r.Fail($"a constant expression longer than {ModuleInterface.MaxConstantInstructions} instructions");
    }

    private static void SkipGcConstant(ref WasmReader r, uint opcode)
    {
        switch (opcode)
        {
            case 0 or 1 or 6 or 7: // struct.new, struct.new_default, array.new, array.new_default
                r.ReadU32();
                break;
            case 8: // array.new_fixed
                r.ReadU32();
                r.ReadU32();
                break;
            case 26 or 27 or 28: // any.convert_extern, extern.convert_any, ref.i31
                break;
            default:
                throw r.Fail($"GC opcode {opcode} is not a constant instruction Carapace knows");
        }
    }

    private static void SkipSignedInteger(ref WasmReader r, int maxBytes)
    {
        for (var i = 0; i < maxBytes; i++)
        {
            if ((r.ReadByte() & 0x80) == 0)
            {
                return;
            }
        }

        throw r.Fail($"a signed integer is longer than {maxBytes} bytes");
    }
}
