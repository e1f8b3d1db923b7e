using Carapace.Kms.Audit;
using Carapace.Kms.Client.Audit;
using Carapace.Kms.Tests.Support;

namespace Carapace.Kms.Tests.Audit;

public sealed class AuditLogTests : IDisposable
{
    private readonly KmsFixture _kms = new();

    public AuditLogTests()
    {
        // Six records: a policy, then five secret puts, one second apart.
        _kms.Service.SetPolicy(_kms.Owners.Sign(_kms.Owners.Build(), "alice"));
        for (var i = 0; i < 5; i++)
        {
            _kms.Time.Advance(TimeSpan.FromSeconds(1));
            _kms.Service.PutSecret("acme", "db-password", "v"u8);
        }
    }

    public void Dispose() => _kms.Dispose();

    private AuditLog Log => _kms.Service.Audit;

    private void Sql(string sql, params (string, object)[] parameters) => RawSql.Execute(_kms.Dir.Database, sql, parameters);

    private AuditVerification Damaged(AuditFault fault, long firstBad)
    {
        var result = Log.Verify();
        Assert.False(result.IsIntact);
        Assert.Equal(fault, result.Fault);
        Assert.Equal(firstBad, result.FirstBadSeq);
        Assert.StartsWith($"the audit log is damaged at record {firstBad}: ", result.Message, StringComparison.Ordinal);
        return result;
    }

    [Fact]
    public void An_untouched_log_verifies_and_its_head_matches_the_anchor()
    {
        var result = Log.Verify();

        Assert.True(result.IsIntact, result.Message);
        Assert.Equal(6, result.Records);
        Assert.Equal(Log.Head, result.Head);
        Assert.Equal(Enumerable.Range(1, 6).Select(i => (long)i), Log.Read().Select(r => r.Seq));
        Assert.True(Log.Read().Zip(Log.Read().Skip(1)).All(p => p.First.Hash.Span.SequenceEqual(p.Second.PreviousHash.Span)));
    }

    [Fact]
    public void An_empty_log_verifies()
    {
        using var dir = new TempDir();
        using var kms = new KmsService(new KmsOptions { DataDirectory = dir.Path });

        Assert.True(kms.Audit.Verify().IsIntact);
        Assert.Null(kms.Audit.Head);
    }

    [Theory]
    [InlineData("details", "'{\"version\":9}'")]
    [InlineData("subject", "'api-token'")]
    [InlineData("namespace", "'other'")]
    [InlineData("kind", "'SecretDeleted'")]
    [InlineData("time", "time + 1")]
    public void Editing_any_field_of_a_record_is_a_hash_mismatch_at_that_record(string column, string value)
    {
        Sql($"UPDATE audit SET {column} = {value} WHERE seq = 3");

        Damaged(AuditFault.HashMismatch, 3);
    }

    [Fact]
    public void Editing_a_record_and_its_stored_hash_is_still_detected()
    {
        // The attacker also replaces the stored hash: the next record's link then breaks.
        Sql("UPDATE audit SET details = '{}', hash = zeroblob(32) WHERE seq = 3");

        var result = Log.Verify();

        Assert.Equal(3, result.FirstBadSeq);
        Assert.Contains(result.Fault, new AuditFault?[] { AuditFault.HashMismatch, AuditFault.BrokenLink });
    }

    [Fact]
    public void Deleting_a_middle_record_is_a_gap()
    {
        Sql("DELETE FROM audit WHERE seq = 4");

        var result = Damaged(AuditFault.SequenceGap, 4);

        Assert.Contains("records 4..4 are missing", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deleting_a_middle_record_and_renumbering_breaks_the_chain()
    {
        Sql("DELETE FROM audit WHERE seq = 4");
        Sql("UPDATE audit SET seq = seq - 1 WHERE seq > 4");

        Assert.Equal(4, Log.Verify().FirstBadSeq);
    }

    [Fact]
    public void Swapping_two_records_is_detected_at_the_first_of_them()
    {
        Sql("UPDATE audit SET seq = -1 WHERE seq = 2");
        Sql("UPDATE audit SET seq = 2 WHERE seq = 3");
        Sql("UPDATE audit SET seq = 3 WHERE seq = -1");

        Assert.Equal(2, Log.Verify().FirstBadSeq);
    }

    [Fact]
    public void Swapping_the_contents_of_two_records_is_a_broken_link()
    {
        Sql("""
            UPDATE audit SET (time, kind, namespace, subject, details, prev_hash, hash) =
              (SELECT time, kind, namespace, subject, details, prev_hash, hash FROM audit AS o WHERE o.seq = 7 - audit.seq)
            WHERE seq IN (3, 4)
            """);

        var result = Log.Verify();

        Assert.False(result.IsIntact);
        Assert.Equal(3, result.FirstBadSeq);
    }

    [Fact]
    public void Cutting_off_the_tail_is_detected_through_the_anchor()
    {
        Sql("DELETE FROM audit WHERE seq > 4");

        var result = Damaged(AuditFault.Truncated, 5);

        Assert.Contains("records 5..6 were deleted", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_truncated_tail_stays_detectable_after_further_appends()
    {
        Sql("DELETE FROM audit WHERE seq > 4");

        _kms.Service.PutSecret("acme", "db-password", "v"u8);

        Damaged(AuditFault.SequenceGap, 5);
        Assert.Equal(7, Log.Head!.Value.Seq);
    }

    [Fact]
    public void Deleting_the_whole_log_is_detected_through_the_anchor()
    {
        Sql("DELETE FROM audit");

        Damaged(AuditFault.Truncated, 1);
    }

    [Fact]
    public void Deleting_the_anchor_is_detected_and_stops_further_appends()
    {
        Sql("DELETE FROM audit_head");

        Damaged(AuditFault.AnchorMismatch, 1);
        Assert.Throws<InvalidDataException>(() => _kms.Service.PutSecret("acme", "db-password", "v"u8));
    }

    [Fact]
    public void Moving_the_anchor_back_with_the_tail_is_refused_without_the_anchor_key()
    {
        var hash4 = Log.Read()[3].Hash.ToArray();
        Sql("DELETE FROM audit WHERE seq > 4");
        Sql("UPDATE audit_head SET seq = 4, hash = $h", ("$h", hash4));

        var result = Damaged(AuditFault.AnchorMismatch, 4);

        Assert.Contains("fails its integrity check", result.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => _kms.Service.PutSecret("acme", "db-password", "v"u8));
    }

    [Fact]
    public void Records_added_behind_the_kms_are_detected()
    {
        var last = Log.Read()[^1];
        Sql("INSERT INTO audit VALUES (7, 0, 'SecretPut', 'acme', 'x', '{}', $p, zeroblob(32))", ("$p", last.Hash.ToArray()));

        Assert.False(Log.Verify().IsIntact);
        Assert.Equal(7, Log.Verify().FirstBadSeq);
    }

    [Fact]
    public void An_external_anchor_detects_a_rollback_of_the_whole_database()
    {
        _kms.Service.Dispose();
        var copy = File.ReadAllBytes(_kms.Dir.Database);
        var kms = _kms.Reopen();
        kms.PutSecret("acme", "db-password", "later"u8);
        var witnessed = kms.Audit.Head!.Value;
        kms.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        File.WriteAllBytes(_kms.Dir.Database, copy);
        foreach (var sidecar in new[] { "-wal", "-shm" })
        {
            File.Delete(_kms.Dir.Database + sidecar);
        }

        kms = _kms.Reopen();

        Assert.True(kms.Audit.Verify().IsIntact);
        var result = kms.Audit.Verify(witnessed);
        Assert.Equal(AuditFault.Truncated, result.Fault);
        Assert.Equal(7, result.FirstBadSeq);
    }

    [Fact]
    public void An_external_anchor_detects_a_rewritten_record()
    {
        var witnessed = new AuditHead(3, new string('0', 64));

        var result = Log.Verify(witnessed);

        Assert.Equal(AuditFault.AnchorMismatch, result.Fault);
        Assert.True(Log.Verify(Log.Head).IsIntact);
    }

    [Fact]
    public void A_column_of_the_wrong_type_is_reported_as_malformed()
    {
        Sql("UPDATE audit SET prev_hash = zeroblob(5) WHERE seq = 2");

        Damaged(AuditFault.Malformed, 2);
    }

    [Fact]
    public void Records_carry_the_time_of_the_clock()
    {
        var records = Log.Read();

        Assert.Equal(TimeSpan.FromSeconds(5), records[^1].Time - records[0].Time);
        Assert.Equal(2, Log.Read(afterSeq: 4).Count);
        Assert.Single(Log.Read(afterSeq: 1, max: 1));
    }
}
