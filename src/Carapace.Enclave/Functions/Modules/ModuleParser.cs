namespace Carapace.Enclave.Functions.Modules;

/// <summary>The state of one <see cref="ModuleInterface.Parse"/>: the index spaces built section by section.</summary>
internal sealed class ModuleParser
{
    private const byte FunctionTypeForm = 0x60;

    // The order non-custom sections must appear in, by id (the tag section, 13, sits between memory and global).
    private static readonly int[] s_rank = [0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 12, 13, 11, 6];

    private readonly List<FunctionSignature?> _types = [];
    private readonly List<FunctionSignature> _functions = [];
    private readonly List<ModuleImport> _imports = [];
    private readonly List<ModuleExport> _exports = [];
    private readonly List<MemoryType> _memories = [];
    private readonly List<ulong> _tables = [];

    public ModuleInterface Parse(ReadOnlySpan<byte> module)
    {
        var reader = new WasmReader(module, 0);
        if (!ModuleInterface.HasMagic(module))
        {
            throw reader.Fail("not a WebAssembly module: the magic number \\0asm is missing");
        }

        reader.ReadBytes(4);
        var version = reader.ReadBytes(4);
        if (!version.SequenceEqual((ReadOnlySpan<byte>)[0x01, 0x00, 0x00, 0x00]))
        {
            throw reader.Fail($"not a version 1 core module (version bytes {Convert.ToHexString(version)})");
        }

        var lastRank = 0;
        while (!reader.AtEnd)
        {
            var id = reader.ReadByte();
            var size = reader.ReadU32();
            if (size > (uint)reader.Remaining)
            {
                throw reader.Fail($"section {id} announces {size} bytes, {reader.Remaining} are left");
            }

            var start = reader.Offset;
            var section = new WasmReader(reader.ReadBytes((int)size), start);
            if (id == 0)
            {
                continue;
            }

            if (id >= s_rank.Length)
            {
                throw section.Fail($"unknown section id {id}");
            }

            if (s_rank[id] <= lastRank)
            {
                throw section.Fail($"section {id} is out of order or repeated");
            }

            lastRank = s_rank[id];
            switch (id)
            {
                case 1: ReadTypes(ref section); break;
                case 2: ReadImports(ref section); break;
                case 3: ReadFunctions(ref section); break;
                case 4: ReadTables(ref section); break;
                case 5: ReadMemories(ref section); break;
                case 7: ReadExports(ref section); break;
                default: continue;
            }

            if (!section.AtEnd)
            {
                throw section.Fail($"section {id} has {section.Remaining} bytes left over");
            }
        }

        return new ModuleInterface(_imports, _exports, _memories, _tables);
    }

    private void ReadTypes(ref WasmReader r)
    {
        var count = r.ReadCount("type definitions", ModuleInterface.MaxTypes);
        for (var i = 0; i < count; i++)
        {
            if (r.PeekByte() == 0x4E)
            {
                r.ReadByte();
                var members = r.ReadCount("types in a recursion group", ModuleInterface.MaxTypes);
                for (var j = 0; j < members; j++)
                {
                    AddType(ref r);
                }
            }
            else
            {
                AddType(ref r);
            }
        }
    }

    private void AddType(ref WasmReader r)
    {
        if (_types.Count >= ModuleInterface.MaxTypes)
        {
            throw r.Fail($"more than {ModuleInterface.MaxTypes} type definitions");
        }

        var form = r.ReadByte();
        if (form is 0x50 or 0x4F)
        {
            var supertypes = r.ReadCount("supertypes", 1);
            for (var i = 0; i < supertypes; i++)
            {
                r.ReadU32();
            }

            form = r.ReadByte();
        }

        switch (form)
        {
            case FunctionTypeForm:
                var parameters = ReadValueTypes(ref r, "parameters");
                var results = ReadValueTypes(ref r, "results");
                _types.Add(new FunctionSignature(parameters, results));
                return;

            case 0x5F:
                var fields = r.ReadCount("struct fields", ModuleInterface.MaxStructFields);
                for (var i = 0; i < fields; i++)
                {
                    ReadFieldType(ref r);
                }

                break;

            case 0x5E:
                ReadFieldType(ref r);
                break;

            default:
                throw r.Fail($"unknown type form 0x{form:x2}");
        }

        _types.Add(null);
    }

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

    private void ReadImports(ref WasmReader r)
    {
        var count = r.ReadCount("imports", ModuleInterface.MaxImports);
        for (var i = 0; i < count; i++)
        {
            var module = r.ReadName(ModuleInterface.MaxNameBytes);
            var name = r.ReadName(ModuleInterface.MaxNameBytes);
            var kind = r.ReadByte();
            switch (kind)
            {
                case 0x00:
                    var signature = FunctionType(ref r, r.ReadU32());
                    AddFunction(ref r, signature);
                    _imports.Add(new ModuleImport(module, name, ExternalKind.Function, signature));
                    break;
                case 0x01:
                    ReadReferenceType(ref r, r.ReadByte());
                    AddTable(ref r, ReadLimits(ref r, memory: false).MinimumPages);
                    _imports.Add(new ModuleImport(module, name, ExternalKind.Table, null));
                    break;
                case 0x02:
                    AddMemory(ref r, ReadLimits(ref r, memory: true));
                    _imports.Add(new ModuleImport(module, name, ExternalKind.Memory, null));
                    break;
                case 0x03:
                    ReadValueType(ref r);
                    ReadFlag(ref r, "mutability");
                    _imports.Add(new ModuleImport(module, name, ExternalKind.Global, null));
                    break;
                case 0x04:
                    if (r.ReadByte() != 0)
                    {
                        throw r.Fail("a tag's attribute is not 0");
                    }

                    FunctionType(ref r, r.ReadU32());
                    _imports.Add(new ModuleImport(module, name, ExternalKind.Tag, null));
                    break;
                default:
                    throw r.Fail($"unknown import kind 0x{kind:x2}");
            }
        }
    }

    private void ReadFunctions(ref WasmReader r)
    {
        var count = r.ReadCount("functions", ModuleInterface.MaxFunctions);
        for (var i = 0; i < count; i++)
        {
            AddFunction(ref r, FunctionType(ref r, r.ReadU32()));
        }
    }

    private void ReadTables(ref WasmReader r)
    {
        var count = r.ReadCount("tables", ModuleInterface.MaxMemoriesOrTables);
        for (var i = 0; i < count; i++)
        {
            var withInitializer = r.PeekByte() == 0x40;
            if (withInitializer)
            {
                r.ReadByte();
                if (r.ReadByte() != 0)
                {
                    throw r.Fail("a table with an initializer has a reserved byte that is not 0");
                }
            }

            ReadReferenceType(ref r, r.ReadByte());
            AddTable(ref r, ReadLimits(ref r, memory: false).MinimumPages);
            if (withInitializer)
            {
                SkipConstantExpression(ref r);
            }
        }
    }

    private void ReadMemories(ref WasmReader r)
    {
        var count = r.ReadCount("memories", ModuleInterface.MaxMemoriesOrTables);
        for (var i = 0; i < count; i++)
        {
            AddMemory(ref r, ReadLimits(ref r, memory: true));
        }
    }

    private void ReadExports(ref WasmReader r)
    {
        var count = r.ReadCount("exports", ModuleInterface.MaxExports);
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var name = r.ReadName(ModuleInterface.MaxNameBytes);
            if (!names.Add(name))
            {
                throw r.Fail($"the export name '{name}' is used twice");
            }

            var kind = r.ReadByte();
            var index = r.ReadU32();
            _exports.Add(kind switch
            {
                0x00 when index < (uint)_functions.Count => new ModuleExport(name, ExternalKind.Function, _functions[(int)index], null),
                0x00 => throw r.Fail($"export '{name}' names function {index}, which does not exist"),
                0x01 => new ModuleExport(name, ExternalKind.Table, null, null),
                0x02 when index < (uint)_memories.Count => new ModuleExport(name, ExternalKind.Memory, null, _memories[(int)index]),
                0x02 => throw r.Fail($"export '{name}' names memory {index}, which does not exist"),
                0x03 => new ModuleExport(name, ExternalKind.Global, null, null),
                0x04 => new ModuleExport(name, ExternalKind.Tag, null, null),
                _ => throw r.Fail($"unknown export kind 0x{kind:x2}"),
            });
        }
    }

    private FunctionSignature FunctionType(ref WasmReader r, uint index)
    {
        if (index >= (uint)_types.Count)
        {
            throw r.Fail($"type {index} does not exist");
        }

        return _types[(int)index] ?? throw r.Fail($"type {index} is not a function type");
    }

    private void AddFunction(ref WasmReader r, FunctionSignature signature)
    {
        if (_functions.Count >= ModuleInterface.MaxFunctions)
        {
            throw r.Fail($"more than {ModuleInterface.MaxFunctions} functions");
        }

        _functions.Add(signature);
    }

    private void AddMemory(ref WasmReader r, MemoryType memory)
    {
        if (_memories.Count >= ModuleInterface.MaxMemoriesOrTables)
        {
            throw r.Fail($"more than {ModuleInterface.MaxMemoriesOrTables} memories");
        }

        _memories.Add(memory);
    }

    private void AddTable(ref WasmReader r, ulong minimum)
    {
        if (_tables.Count >= ModuleInterface.MaxMemoriesOrTables)
        {
            throw r.Fail($"more than {ModuleInterface.MaxMemoriesOrTables} tables");
        }

        _tables.Add(minimum);
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
