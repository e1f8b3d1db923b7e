namespace Carapace.Functions.Modules;

/// <summary>The state of one <see cref="ModuleInterface.Parse"/>: the index spaces built section by section.</summary>
internal sealed partial class ModuleParser
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
}
