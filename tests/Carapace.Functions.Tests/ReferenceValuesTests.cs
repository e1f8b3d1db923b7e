using System.Text.Json.Nodes;
using Carapace.Functions;

namespace Carapace.Functions.Tests;

/// <summary>Reference values: written from the files, read back, and every way a file can be wrong is a clear error.</summary>
public sealed class ReferenceValuesTests : IDisposable
{
    private static readonly byte[] s_kms = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];
    private readonly TempTree _tree = new();

    public ReferenceValuesTests()
    {
        // Stand-ins for the native executable and libwasmtime.so: the rule hashes whatever bytes are there.
        File.WriteAllBytes(Path.Combine(_tree.Root, RuntimeIdentity.Executable), [1, 2, 3]);
        File.WriteAllBytes(Path.Combine(_tree.Root, RuntimeIdentity.WasmtimeLibrary), [4, 5, 6]);
    }

    public void Dispose() => _tree.Dispose();

    private string Written()
    {
        var path = _tree.Output(ReferenceValues.FileName);
        ReferenceValues.Compute(_tree.Root, s_kms).Write(path);
        return path;
    }

    [Fact]
    public void Values_written_by_the_build_read_back_with_the_identity_of_the_files()
    {
        var values = ReferenceValues.Load(Written());

        Assert.Equal(RuntimeIdentity.Compute(_tree.Root, s_kms), values.RuntimeIdentityValue);
        Assert.Equal(s_kms, values.KmsMeasurement);
        Assert.Equal(EngineSettings.Description, values.EngineSettingsDescription);
        Assert.Equal(System.Security.Cryptography.SHA256.HashData([1, 2, 3]), values.FileHashes[0]);
    }

    [Fact]
    public void A_changed_file_is_another_runtime_identity()
    {
        var before = ReferenceValues.Compute(_tree.Root, s_kms).RuntimeIdentityValue;
        File.WriteAllBytes(Path.Combine(_tree.Root, RuntimeIdentity.WasmtimeLibrary), [4, 5, 7]);

        Assert.NotEqual(before, ReferenceValues.Compute(_tree.Root, s_kms).RuntimeIdentityValue);
    }

    [Fact]
    public void A_missing_file_says_where_it_comes_from_and_how_to_point_at_another()
    {
        var error = Assert.Throws<ReferenceValuesException>(() => ReferenceValues.Load(_tree.Output("nowhere.json")));

        Assert.Contains("do not exist", error.Message, StringComparison.Ordinal);
        Assert.Contains("--reference-values", error.Message, StringComparison.Ordinal);
        Assert.Contains(ReferenceValues.EnvironmentVariable, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_explicit_path_wins_over_the_environment_variable_which_wins_over_the_default()
    {
        string? Set(string name) => name == ReferenceValues.EnvironmentVariable ? "/from/environment.json" : null;

        Assert.Equal("other.json", ReferenceValues.Resolve("other.json", Set));
        Assert.Equal("/from/environment.json", ReferenceValues.Resolve(null, Set));
        Assert.Equal(ReferenceValues.DefaultPath, ReferenceValues.Resolve(null, _ => null));
        Assert.EndsWith("enclave/reference-values.json", ReferenceValues.DefaultPath, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json", "not valid")]
    [InlineData("null", "empty")]
    [InlineData("[]", "not valid")]
    public void Text_that_is_not_a_reference_values_object_is_refused(string text, string expected)
    {
        var path = _tree.Output("bad.json");
        File.WriteAllText(path, text);

        var error = Assert.Throws<ReferenceValuesException>(() => ReferenceValues.Load(path));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("format", "\"carapace reference values v0\"", "format is")]
    [InlineData("runtimeIdentityFormat", "\"carapace runtime v2\"", "runtimeIdentityFormat is")]
    [InlineData("runtimeIdentity", "\"abc\"", "runtimeIdentity is not 64 hex digits")]
    [InlineData("kmsMeasurement", null, "kmsMeasurement is missing")]
    [InlineData("engineSettings", null, "engineSettings is missing")]
    [InlineData("surprise", "1", "not valid")]
    public void A_malformed_field_is_named(string field, string? value, string expected)
    {
        var json = JsonNode.Parse(File.ReadAllText(Written()))!.AsObject();
        if (value is null)
        {
            json.Remove(field);
        }
        else
        {
            json[field] = JsonNode.Parse(value);
        }

        var error = Assert.Throws<ReferenceValuesException>(() => ReferenceValues.Parse(System.Text.Encoding.UTF8.GetBytes(json.ToJsonString()), "test"));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_hash_that_is_missing_or_unknown_is_named()
    {
        var json = JsonNode.Parse(File.ReadAllText(Written()))!.AsObject();
        var files = json["files"]!.AsObject();
        files.Remove(RuntimeIdentity.WasmtimeLibrary);
        files["Carapace.Enclave.dll"] = new string('0', 64);

        var error = Assert.Throws<ReferenceValuesException>(() => ReferenceValues.Parse(System.Text.Encoding.UTF8.GetBytes(json.ToJsonString()), "test"));

        Assert.Contains("files[\"libwasmtime.so\"] is missing", error.Message, StringComparison.Ordinal);
        Assert.Contains("Carapace.Enclave.dll", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_identity_that_does_not_follow_from_the_stated_hashes_is_refused()
    {
        var json = JsonNode.Parse(File.ReadAllText(Written()))!.AsObject();
        json["files"]![RuntimeIdentity.Executable] = new string('a', 64);

        var error = Assert.Throws<ReferenceValuesException>(() => ReferenceValues.Parse(System.Text.Encoding.UTF8.GetBytes(json.ToJsonString()), "test"));

        Assert.Contains("inconsistent", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_oversized_file_is_refused_before_parsing()
    {
        var path = _tree.Output("big.json");
        File.WriteAllText(path, new string(' ', 70_000));

        var error = Assert.Throws<ReferenceValuesException>(() => ReferenceValues.Load(path));

        Assert.Contains("64 KiB", error.Message, StringComparison.Ordinal);
    }
}
