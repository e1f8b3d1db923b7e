using Carapace.Controller.Postgres.Tests.Support;
using Npgsql;

namespace Carapace.Controller.Postgres.Tests;

/// <summary>
/// The migration that creates what Orleans' ADO.NET clustering reads and writes: its three tables, and one stored
/// statement per query key, which keep the membership protocol's promise (a change happens only at the table version
/// the writer read, and then bumps it). The provider itself joins these tests with the nodes.
/// </summary>
public sealed class OrleansClusteringSchemaTests : IDisposable
{
    private static readonly string[] s_keys =
    [
        "CleanupDefunctSiloEntriesKey", "DeleteMembershipTableEntriesKey", "GatewaysQueryKey", "InsertMembershipKey",
        "InsertMembershipVersionKey", "MembershipReadAllKey", "MembershipReadRowKey", "UpdateIAmAlivetimeKey", "UpdateMembershipKey",
    ];

    private readonly PostgresBackend _backend = new();
    private readonly DateTime _now = new(2026, 3, 1, 12, 0, 0, DateTimeKind.Utc);

    public void Dispose() => _backend.Dispose();

    [Fact]
    public void After_migration_the_tables_and_every_query_key_of_the_clustering_provider_exist()
    {
        Assert.Equal(s_keys, Column<string>("SELECT QueryKey FROM OrleansQuery ORDER BY QueryKey"));
        var columns = Column<string>($"""
            SELECT table_name || '.' || column_name FROM information_schema.columns
            WHERE table_schema = '{_backend.Schema}' AND table_name IN ('orleansmembershiptable', 'orleansmembershipversiontable')
            ORDER BY table_name, ordinal_position
            """);
        Assert.Equal(
            [
                "orleansmembershiptable.deploymentid", "orleansmembershiptable.address", "orleansmembershiptable.port",
                "orleansmembershiptable.generation", "orleansmembershiptable.siloname", "orleansmembershiptable.hostname",
                "orleansmembershiptable.status", "orleansmembershiptable.proxyport", "orleansmembershiptable.suspecttimes",
                "orleansmembershiptable.starttime", "orleansmembershiptable.iamalivetime",
                "orleansmembershipversiontable.deploymentid", "orleansmembershipversiontable.timestamp", "orleansmembershipversiontable.version",
            ],
            columns);
    }

    [Fact]
    public void The_stored_membership_statements_change_rows_only_at_the_version_the_writer_read()
    {
        Assert.Equal(1, Run("InsertMembershipVersionKey", ("DeploymentId", "c1")));
        Assert.Equal(0, Run("InsertMembershipVersionKey", ("DeploymentId", "c1")));

        // Silo A joins at version 0; a second insert at the same, now stale, version changes nothing.
        Assert.Equal(1, Run("InsertMembershipKey", Silo("10.0.0.1", 0)));
        Assert.Equal(0, Run("InsertMembershipKey", Silo("10.0.0.2", 0)));
        Assert.Equal(1, Run("InsertMembershipKey", Silo("10.0.0.2", 1)));
        Assert.Equal(2L, _backend.Rows("OrleansMembershipTable"));

        // A becomes active (status 3) at version 2; an update at the stale version 1 changes nothing.
        Assert.Equal(0, Run("UpdateMembershipKey", Update("10.0.0.1", status: 6, version: 1)));
        Assert.Equal(1, Run("UpdateMembershipKey", Update("10.0.0.1", status: 3, version: 2)));
        Assert.Equal(3, Convert.ToInt32(_backend.Scalar("SELECT Version FROM OrleansMembershipVersionTable WHERE DeploymentId = 'c1'"),
            System.Globalization.CultureInfo.InvariantCulture));

        Execute("UpdateIAmAlivetimeKey", ("DeploymentId", "c1"), ("Address", "10.0.0.1"), ("Port", 11111), ("Generation", 1),
            ("IAmAliveTime", _now.AddMinutes(5)));
        Assert.Equal(["10.0.0.1"], Read("GatewaysQueryKey", "address", ("DeploymentId", "c1"), ("Status", 3)));
        Assert.Equal(["10.0.0.1", "10.0.0.2"], Read("MembershipReadAllKey", "address", ("DeploymentId", "c1")).Order());
        Assert.Equal(["10.0.0.2"], Read("MembershipReadRowKey", "address",
            ("DeploymentId", "c1"), ("Address", "10.0.0.2"), ("Port", 11111), ("Generation", 1)));

        // Defunct rows (not active, not seen since the cut-off) go; the active one stays.
        Execute("CleanupDefunctSiloEntriesKey", ("DeploymentId", "c1"), ("IAmAliveTime", _now.AddMinutes(1)));
        Assert.Equal(1L, _backend.Rows("OrleansMembershipTable"));
        Execute("DeleteMembershipTableEntriesKey", ("DeploymentId", "c1"));
        Assert.Equal(0L, _backend.Rows("OrleansMembershipVersionTable"));
    }

    private (string, object)[] Silo(string address, int version) =>
    [
        ("DeploymentId", "c1"), ("Address", address), ("Port", 11111), ("Generation", 1), ("SiloName", "silo-" + address),
        ("HostName", "host"), ("Status", 1), ("ProxyPort", 30000), ("StartTime", _now), ("IAmAliveTime", _now), ("Version", version),
    ];

    private (string, object)[] Update(string address, int status, int version) =>
    [
        ("DeploymentId", "c1"), ("Address", address), ("Port", 11111), ("Generation", 1), ("Status", status),
        ("SuspectTimes", DBNull.Value), ("IAmAliveTime", _now), ("Version", version),
    ];

    // Runs a stored statement as the provider does (its text from OrleansQuery, named parameters) and reads its one value.
    private int Run(string key, params (string Name, object Value)[] parameters)
    {
        using var connection = Open();
        using var command = Command(connection, key, parameters);
        return Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private void Execute(string key, params (string Name, object Value)[] parameters)
    {
        using var connection = Open();
        using var command = Command(connection, key, parameters);
        command.ExecuteNonQuery();
    }

    private List<string> Read(string key, string column, params (string Name, object Value)[] parameters)
    {
        using var connection = Open();
        using var command = Command(connection, key, parameters);
        using var reader = command.ExecuteReader();
        var values = new List<string>();
        while (reader.Read())
        {
            values.Add(reader.GetString(reader.GetOrdinal(column)));
        }

        return values;
    }

    private List<T> Column<T>(string sql)
    {
        using var connection = Open();
        using var command = new NpgsqlCommand(sql, connection);
        using var reader = command.ExecuteReader();
        var values = new List<T>();
        while (reader.Read())
        {
            values.Add(reader.GetFieldValue<T>(0));
        }

        return values;
    }

    private NpgsqlConnection Open()
    {
        var connection = new NpgsqlConnection(_backend.ConnectionString);
        connection.Open();
        return connection;
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, string key, (string Name, object Value)[] parameters)
    {
        using var text = new NpgsqlCommand("SELECT QueryText FROM OrleansQuery WHERE QueryKey = @key", connection);
        text.Parameters.AddWithValue("key", key);
        var command = new NpgsqlCommand((string)text.ExecuteScalar()!, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command;
    }
}
