using System.Buffers.Binary;
using System.Globalization;
using Carapace.Attestation.ConfigFsTsm;

namespace Carapace.Attestation.Tests.ConfigFsTsm;

/// <summary>
/// A stand-in for configfs-tsm in a temporary directory: creating an entry lays down the attribute files the kernel
/// would show, and writing an attribute bumps <c>generation</c> and (for <c>inblob</c>) produces an <c>outblob</c>
/// carrying the report data, like the kernel does. Reads and writes go through the production code.
/// </summary>
internal sealed class FakeTsm : TsmFileSystem, IDisposable
{
    public FakeTsm(string provider)
    {
        Provider = provider;
        Root = Path.Combine(Path.GetTempPath(), "carapace-tsm-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public string Provider { get; }

    /// <summary>Extra generation bumps, per attempt, simulating another writer on the entry.</summary>
    public Queue<int> ForeignWrites { get; } = new();

    /// <summary>When set, the outblob carries these report data instead of what was written.</summary>
    public byte[]? ForcedReportData { get; set; }

    public bool WithPrivilegeLevel { get; set; }

    public bool WithAuxBlob { get; set; }

    public List<string> Created { get; } = [];

    public List<string> Removed { get; } = [];

    public Dictionary<string, byte[]> Written { get; } = [];

    public override void CreateEntry(string path)
    {
        Directory.CreateDirectory(path);
        Created.Add(path);
        File.WriteAllText(Path.Combine(path, "provider"), Provider + "\n");
        File.WriteAllText(Path.Combine(path, "generation"), "0\n");
        File.WriteAllBytes(Path.Combine(path, "inblob"), []);
        File.WriteAllBytes(Path.Combine(path, "outblob"), []);
        if (WithPrivilegeLevel)
        {
            File.WriteAllBytes(Path.Combine(path, "privlevel"), []);
        }

        if (WithAuxBlob)
        {
            File.WriteAllBytes(Path.Combine(path, "auxblob"), [0xAA, 0xBB, 0xCC]);
        }
    }

    public override void RemoveEntry(string path)
    {
        Removed.Add(path);
        Directory.Delete(path, recursive: true);
    }

    public override void Write(string path, ReadOnlySpan<byte> value)
    {
        base.Write(path, value);
        Written[Path.GetFileName(path)] = value.ToArray();
        var entry = Path.GetDirectoryName(path)!;
        var generationPath = Path.Combine(entry, "generation");
        var generation = ulong.Parse(File.ReadAllText(generationPath).Trim(), CultureInfo.InvariantCulture) + 1;
        if (Path.GetFileName(path) == "inblob")
        {
            generation += (ulong)(ForeignWrites.Count > 0 ? ForeignWrites.Dequeue() : 0);
            File.WriteAllBytes(Path.Combine(entry, "outblob"), Report(ForcedReportData ?? value.ToArray()));
        }

        File.WriteAllText(generationPath, generation.ToString(CultureInfo.InvariantCulture) + "\n");
    }

    public byte[] Report(byte[] reportData)
    {
        if (Provider == "sev_guest")
        {
            var report = new byte[1184];
            BinaryPrimitives.WriteUInt32LittleEndian(report, 2);
            reportData.CopyTo(report, 0x50);
            return report;
        }

        var quote = new byte[48 + 584 + 4 + 100];
        BinaryPrimitives.WriteUInt16LittleEndian(quote, 4);
        BinaryPrimitives.WriteUInt16LittleEndian(quote.AsSpan(2), 2);
        BinaryPrimitives.WriteUInt32LittleEndian(quote.AsSpan(4), 0x81);
        reportData.CopyTo(quote, 48 + 0x208);
        return quote;
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
