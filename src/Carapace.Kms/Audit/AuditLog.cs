using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Carapace.Kms.Client.Audit;
using Carapace.Kms.Storage;
using Microsoft.Data.Sqlite;

namespace Carapace.Kms.Audit;

/// <summary>
/// The KMS's append-only, hash-chained audit log (SQLite table <c>audit</c>). Record <c>n</c> stores
/// <c>hash_n = SHA-256(canonical(seq, time, kind, namespace, subject, details, hash_{n-1}))</c>, so editing, deleting or
/// reordering any record breaks the chain from there on, and <see cref="Verify()"/> names the first bad record.
/// </summary>
/// <remarks>
/// <para>
/// A hash chain alone cannot show that records were cut off the <b>end</b>: what is left is still a valid chain. So the
/// head (newest seq and hash) is also kept in the table <c>audit_head</c> with an HMAC under a key derived from the
/// KMS master key, updated in the same transaction as each append. Someone editing the database without that key can
/// neither delete the tail nor rewrite the whole chain without <see cref="Verify()"/> noticing.
/// </para>
/// <para>
/// Limits: someone who restores an <i>older copy of the whole database</i> (log and anchor together) rolls the log
/// back undetectably from inside — only an anchor kept outside the host catches that: copy <see cref="Head"/> into
/// receipts or to a witness and pass it to <see cref="Verify(AuditHead?)"/>. With a simulated master key (a plain
/// file on the host) the anchor's MAC protects nothing against root on the host.
/// </para>
/// </remarks>
public sealed class AuditLog
{
    private const int HashSize = 32;
    private static readonly byte[] s_recordLabel = Encoding.ASCII.GetBytes("carapace/kms/audit/v1");
    private static readonly byte[] s_headLabel = Encoding.ASCII.GetBytes("carapace/kms/audit-head/v1");

    private readonly KmsDatabase _database;
    private readonly byte[] _anchorKey;
    private readonly TimeProvider _time;

    internal AuditLog(KmsDatabase database, ReadOnlySpan<byte> anchorKey, TimeProvider time)
    {
        _database = database;
        _anchorKey = anchorKey.ToArray();
        _time = time;
    }

    /// <summary>The anchor: the newest record's seq and hash, or null for an empty log.</summary>
    public AuditHead? Head
    {
        get
        {
            using var connection = _database.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT seq, hash FROM audit_head WHERE id = 1";
            using var reader = command.ExecuteReader();
            return reader.Read() && SqliteValues.Integer(reader, 0) is { } seq && SqliteValues.Blob(reader, 1) is { } hash
                ? new AuditHead(seq, Convert.ToHexStringLower(hash))
                : null;
        }
    }

    /// <summary>Up to <paramref name="max"/> records with seq greater than <paramref name="afterSeq"/>, oldest first.</summary>
    /// <exception cref="InvalidDataException">A record is damaged; <see cref="Verify()"/> says which and how.</exception>
    public IReadOnlyList<AuditRecord> Read(long afterSeq = 0, int max = 1000)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT seq, time, kind, namespace, subject, details, prev_hash, hash FROM audit WHERE seq > $after ORDER BY seq LIMIT $max";
        command.Parameters.AddWithValue("$after", afterSeq);
        command.Parameters.AddWithValue("$max", max);
        using var reader = command.ExecuteReader();
        var records = new List<AuditRecord>();
        while (reader.Read())
        {
            var row = RawRow.From(reader);
            if (row.Record() is not { } record)
            {
                throw new InvalidDataException($"audit record {row.Seq?.ToString(CultureInfo.InvariantCulture) ?? "?"} is damaged; run the audit verification");
            }

            records.Add(record);
        }

        return records;
    }

    /// <summary>Checks the whole log against itself and its stored anchor.</summary>
    public AuditVerification Verify() => Verify(null);

    /// <summary>
    /// Checks the whole log: every hash, every link, no gaps, the stored anchor, and — when given — an
    /// <paramref name="externalAnchor"/> kept outside the host (a head seen earlier must still be in the log, unchanged).
    /// </summary>
    public AuditVerification Verify(AuditHead? externalAnchor)
    {
        using var connection = _database.Open();
        using var transaction = connection.BeginTransaction(deferred: true);
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT seq, time, kind, namespace, subject, details, prev_hash, hash FROM audit ORDER BY seq";
        var expected = 1L;
        var previous = new byte[HashSize];
        var hashes = new Dictionary<long, byte[]>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                var row = RawRow.From(reader);
                if (row.Seq is not { } seq)
                {
                    return Bad(expected - 1, previous, expected, AuditFault.Malformed, $"the record after seq {expected - 1} has no integer sequence number");
                }

                if (seq != expected)
                {
                    return Bad(expected - 1, previous, expected, AuditFault.SequenceGap,
                        seq > expected
                            ? $"records {expected}..{seq - 1} are missing: the log jumps from seq {expected - 1} to {seq}"
                            : $"seq {seq} appears where {expected} was expected");
                }

                if (row.Hash is not { Length: HashSize } stored || row.PreviousHash is not { Length: HashSize } link || row.Time is null
                    || row.Kind is null || row.Namespace is null || row.Subject is null || row.Details is null)
                {
                    return Bad(expected - 1, previous, seq, AuditFault.Malformed, $"record {seq} has a column of the wrong type or length");
                }

                if (!CryptographicOperations.FixedTimeEquals(link, previous))
                {
                    return Bad(expected - 1, previous, seq, AuditFault.BrokenLink,
                        $"record {seq} does not link to record {seq - 1}: records were replaced, reordered or deleted");
                }

                if (!CryptographicOperations.FixedTimeEquals(row.ComputeHash(), stored))
                {
                    return Bad(expected - 1, previous, seq, AuditFault.HashMismatch, $"record {seq} was modified: its content does not match its hash");
                }

                previous = stored;
                hashes[seq] = stored;
                expected++;
            }
        }

        var last = expected - 1;
        var anchorProblem = CheckStoredAnchor(connection, transaction, last, previous);
        if (anchorProblem is { } problem)
        {
            return Bad(last, previous, problem.FirstBad, problem.Fault, problem.Message);
        }

        if (externalAnchor is { } outside)
        {
            if (!hashes.TryGetValue(outside.Seq, out var hash))
            {
                return Bad(last, previous, last + 1, AuditFault.Truncated,
                    $"the external anchor names record {outside.Seq} but the log ends at {last}: records were deleted or the database was rolled back");
            }

            if (!string.Equals(Convert.ToHexStringLower(hash), outside.Hash, StringComparison.OrdinalIgnoreCase))
            {
                return Bad(last, previous, outside.Seq, AuditFault.AnchorMismatch,
                    $"record {outside.Seq} differs from the external anchor: the log was rewritten");
            }
        }

        return new AuditVerification
        {
            Records = last,
            Head = last == 0 ? null : new AuditHead(last, Convert.ToHexStringLower(previous)),
            Message = last == 0 ? "the audit log is empty" : $"the audit log is intact: {last} records, head {Convert.ToHexStringLower(previous)}",
        };
    }

    /// <summary>Appends a record in its own transaction.</summary>
    /// <exception cref="InvalidDataException">The anchor is missing or forged (see <see cref="Verify()"/>).</exception>
    internal AuditRecord Append(AuditKind kind, string ns, string subject, AuditDetails details)
    {
        using var connection = _database.Open();
        using var transaction = connection.BeginTransaction();
        var record = Append(connection, transaction, kind, ns, subject, details);
        transaction.Commit();
        return record;
    }

    /// <summary>Appends a record inside the caller's (write) transaction, together with the change it reports.</summary>
    internal AuditRecord Append(SqliteConnection connection, SqliteTransaction transaction, AuditKind kind, string ns, string subject, AuditDetails details)
    {
        // The caller's write transaction serializes appends, also across connections. The chain continues from the
        // anchor, not from the last row: records cut off the end then leave a gap the next append cannot paper over.
        using var head = connection.CreateCommand();
        head.Transaction = transaction;
        head.CommandText = "SELECT seq, hash, mac FROM audit_head WHERE id = 1; SELECT EXISTS (SELECT 1 FROM audit);";
        long seq = 1;
        var previous = new byte[HashSize];
        using (var reader = head.ExecuteReader())
        {
            var anchored = false;
            if (reader.Read())
            {
                if (SqliteValues.Integer(reader, 0) is not { } anchorSeq || SqliteValues.Blob(reader, 1) is not { Length: HashSize } anchorHash
                    || SqliteValues.Blob(reader, 2) is not { } mac || !CryptographicOperations.FixedTimeEquals(mac, HeadMac(anchorSeq, anchorHash)))
                {
                    throw new InvalidDataException(
                        "the audit anchor fails its integrity check; the KMS will not extend a log whose tail cannot be checked (verify the audit log)");
                }

                seq = anchorSeq + 1;
                previous = anchorHash;
                anchored = true;
            }

            reader.NextResult();
            if (!anchored && reader.Read() && reader.GetInt64(0) != 0)
            {
                throw new InvalidDataException(
                    "the audit anchor is missing although the log has records; the KMS will not extend a log whose tail cannot be checked (verify the audit log)");
            }
        }

        var row = new RawRow(seq, _time.GetUtcNow().UtcTicks, kind.ToString(), ns, subject, details.ToJson(), previous, null);
        var hash = row.ComputeHash();
        using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = """
            INSERT INTO audit (seq, time, kind, namespace, subject, details, prev_hash, hash)
            VALUES ($seq, $time, $kind, $ns, $subject, $details, $prev, $hash);
            INSERT INTO audit_head (id, seq, hash, mac) VALUES (1, $seq, $hash, $mac)
            ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, mac = excluded.mac;
            """;
        insert.Parameters.AddWithValue("$seq", seq);
        insert.Parameters.AddWithValue("$time", row.Time);
        insert.Parameters.AddWithValue("$kind", row.Kind);
        insert.Parameters.AddWithValue("$ns", ns);
        insert.Parameters.AddWithValue("$subject", subject);
        insert.Parameters.AddWithValue("$details", row.Details);
        insert.Parameters.AddWithValue("$prev", previous);
        insert.Parameters.AddWithValue("$hash", hash);
        insert.Parameters.AddWithValue("$mac", HeadMac(seq, hash));
        insert.ExecuteNonQuery();
        return (row with { Hash = hash }).Record()!;
    }

    private (long FirstBad, AuditFault Fault, string Message)? CheckStoredAnchor(SqliteConnection connection, SqliteTransaction transaction, long last, byte[] lastHash)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT seq, hash, mac FROM audit_head WHERE id = 1";
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return last == 0 ? null : (1, AuditFault.AnchorMismatch, "the audit anchor is missing although the log has records: it was deleted");
        }

        if (SqliteValues.Integer(reader, 0) is not { } seq || SqliteValues.Blob(reader, 1) is not { Length: HashSize } hash
            || SqliteValues.Blob(reader, 2) is not { } mac || !CryptographicOperations.FixedTimeEquals(mac, HeadMac(seq, hash)))
        {
            return (Math.Max(last, 1), AuditFault.AnchorMismatch, "the audit anchor fails its integrity check: it was written by something other than this KMS");
        }

        if (seq > last)
        {
            return (last + 1, AuditFault.Truncated, $"the log ends at record {last} but its anchor records {seq}: records {last + 1}..{seq} were deleted");
        }

        if (seq < last)
        {
            return (seq + 1, AuditFault.AnchorMismatch, $"records {seq + 1}..{last} come after the anchor (record {seq}): they were added outside the KMS");
        }

        return CryptographicOperations.FixedTimeEquals(hash, lastHash)
            ? null
            : (seq, AuditFault.AnchorMismatch, $"record {seq} differs from the anchor: the log was rewritten");
    }

    private static AuditVerification Bad(long checkedRecords, byte[] head, long firstBad, AuditFault fault, string message) => new()
    {
        Records = checkedRecords,
        Head = checkedRecords == 0 ? null : new AuditHead(checkedRecords, Convert.ToHexStringLower(head)),
        FirstBadSeq = firstBad,
        Fault = fault,
        Message = $"the audit log is damaged at record {firstBad}: {message}",
    };

    private byte[] HeadMac(long seq, ReadOnlySpan<byte> hash)
    {
        var data = new byte[s_headLabel.Length + 8 + hash.Length];
        s_headLabel.CopyTo(data, 0);
        BinaryPrimitives.WriteInt64BigEndian(data.AsSpan(s_headLabel.Length), seq);
        hash.CopyTo(data.AsSpan(s_headLabel.Length + 8));
        return HMACSHA256.HashData(_anchorKey, data);
    }

    /// <summary>A row as stored, with nothing trusted about its column types.</summary>
    private sealed record RawRow(long? Seq, long? Time, string? Kind, string? Namespace, string? Subject, string? Details, byte[]? PreviousHash, byte[]? Hash)
    {
        public static RawRow From(SqliteDataReader r) => new(
            SqliteValues.Integer(r, 0), SqliteValues.Integer(r, 1), SqliteValues.Text(r, 2), SqliteValues.Text(r, 3),
            SqliteValues.Text(r, 4), SqliteValues.Text(r, 5), SqliteValues.Blob(r, 6), SqliteValues.Blob(r, 7));

        /// <summary>
        /// SHA-256 over: label ‖ seq (u64 BE) ‖ time ticks (i64 BE) ‖ kind ‖ namespace ‖ subject ‖ details ‖ previous hash,
        /// every string as u32 BE length ‖ UTF-8.
        /// </summary>
        public byte[] ComputeHash()
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            AppendString(hash, s_recordLabel);
            Span<byte> number = stackalloc byte[8];
            BinaryPrimitives.WriteInt64BigEndian(number, Seq ?? 0);
            hash.AppendData(number);
            BinaryPrimitives.WriteInt64BigEndian(number, Time ?? 0);
            hash.AppendData(number);
            AppendString(hash, Encoding.UTF8.GetBytes(Kind ?? ""));
            AppendString(hash, Encoding.UTF8.GetBytes(Namespace ?? ""));
            AppendString(hash, Encoding.UTF8.GetBytes(Subject ?? ""));
            AppendString(hash, Encoding.UTF8.GetBytes(Details ?? ""));
            hash.AppendData(PreviousHash ?? []);
            return hash.GetHashAndReset();
        }

        public AuditRecord? Record() =>
            Seq is { } seq && Time is { } time && Enum.TryParse<AuditKind>(Kind, out var kind) && Enum.GetName(kind) == Kind && Namespace is not null
            && Subject is not null && Details is not null && PreviousHash is not null && Hash is not null
            && time >= DateTimeOffset.MinValue.UtcTicks && time <= DateTimeOffset.MaxValue.UtcTicks
                ? new AuditRecord(seq, new DateTimeOffset(time, TimeSpan.Zero), kind, Namespace, Subject, Details, PreviousHash, Hash)
                : null;

        private static void AppendString(IncrementalHash hash, ReadOnlySpan<byte> bytes)
        {
            Span<byte> length = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(length, (uint)bytes.Length);
            hash.AppendData(length);
            hash.AppendData(bytes);
        }
    }
}
