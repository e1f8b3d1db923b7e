using System.Buffers.Binary;
using Carapace.Attestation.Snp;

namespace Carapace.Tests.FakeTee;

/// <summary>
/// An imitation AMD SEV-SNP (Milan) platform for tests without hardware: an ARK → ASK → VCEK chain imitating AMD's
/// (RSA-PSS SHA-384 CAs, a P-384 VCEK with the KDS extensions) and version 2 ATTESTATION_REPORTs over any report data,
/// signed by the VCEK, with the certificate table an extended report request returns (VCEK, ASK, ARK). Nothing chains
/// to AMD's roots: a verifier accepts these reports only when given the imitation ARK (<see cref="ArkPem"/>).
/// </summary>
internal sealed class FakeSnpPlatform : IDisposable
{
    public static readonly SnpTcbVersion Tcb = new(0x7308_0000_0000_0003); // microcode 115, snp 8, tee 0, boot loader 3

    private static readonly Guid VcekGuid = new("63da758d-e664-4564-adc5-f4b93be8accd");
    private static readonly Guid AskGuid = new("4ab7b379-bbac-4fe4-a02f-05aef327c782");
    private static readonly Guid ArkGuid = new("c0b406a4-a803-4952-9743-3fb6014cd0ae");

    public FakeSnpPlatform()
    {
        Chain = new FakeAmdChain("Milan", ChipId, Tcb);
    }

    public static byte[] ChipId { get; } = [.. Enumerable.Range(0, 64).Select(i => (byte)(0x30 + i))];

    public static byte[] DefaultMeasurement { get; } = [.. Enumerable.Repeat((byte)0x5a, 48)];

    public static string DefaultMeasurementHex => Convert.ToHexStringLower(DefaultMeasurement);

    public FakeAmdChain Chain { get; }

    public string ArkPem => Chain.Ark.ExportCertificatePem() + "\n";

    /// <summary>The launch MEASUREMENT the next reports show.</summary>
    public byte[] Measurement { get; set; } = DefaultMeasurement;

    /// <summary>True: the next reports come from a guest launched with POLICY.DEBUG.</summary>
    public bool Debug { get; set; }

    /// <summary>True: the next reports carry other report data than they were asked for.</summary>
    public bool WrongReportData { get; set; }

    /// <summary>A signed report over <paramref name="reportData"/> and the certificate table (auxblob) that goes with it.</summary>
    public (byte[] Report, byte[] CertificateTable) Report(ReadOnlySpan<byte> reportData)
    {
        var report = new byte[SnpReport.Size];
        BinaryPrimitives.WriteUInt32LittleEndian(report, 2);
        BinaryPrimitives.WriteUInt64LittleEndian(report.AsSpan(0x08), 0x30000UL | (Debug ? 1UL << 19 : 0));
        BinaryPrimitives.WriteUInt32LittleEndian(report.AsSpan(0x34), 1);
        BinaryPrimitives.WriteUInt64LittleEndian(report.AsSpan(0x38), Tcb.Raw);
        reportData.CopyTo(report.AsSpan(0x50, 64));
        if (WrongReportData)
        {
            report[0x50] ^= 1;
        }

        Measurement.CopyTo(report, 0x90);
        BinaryPrimitives.WriteUInt64LittleEndian(report.AsSpan(0x180), Tcb.Raw);
        ChipId.CopyTo(report, 0x1A0);
        BinaryPrimitives.WriteUInt64LittleEndian(report.AsSpan(0x1E0), Tcb.Raw);
        report[0x1E8] = 55;
        report[0x1E9] = 1;
        report[0x1EA] = 1;
        report[0x1EC] = 55;
        report[0x1ED] = 1;
        report[0x1EE] = 1;
        BinaryPrimitives.WriteUInt64LittleEndian(report.AsSpan(0x1F0), Tcb.Raw);
        return (Chain.Sign(report), CertificateTable());
    }

    public void Dispose() => Chain.Dispose();

    private byte[] CertificateTable()
    {
        (Guid Guid, byte[] Der)[] entries = [(VcekGuid, Chain.Vcek.RawData), (AskGuid, Chain.Ask.RawData), (ArkGuid, Chain.Ark.RawData)];
        var headers = 24 * (entries.Length + 1);
        var table = new byte[headers + entries.Sum(e => e.Der.Length)];
        var offset = headers;
        for (var i = 0; i < entries.Length; i++)
        {
            entries[i].Guid.TryWriteBytes(table.AsSpan(24 * i, 16), bigEndian: true, out _);
            BinaryPrimitives.WriteUInt32LittleEndian(table.AsSpan((24 * i) + 16), (uint)offset);
            BinaryPrimitives.WriteUInt32LittleEndian(table.AsSpan((24 * i) + 20), (uint)entries[i].Der.Length);
            entries[i].Der.CopyTo(table, offset);
            offset += entries[i].Der.Length;
        }

        return table;
    }
}
