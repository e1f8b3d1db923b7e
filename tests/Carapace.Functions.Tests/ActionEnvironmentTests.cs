using System.Text.Json;
using Carapace.Functions;

namespace Carapace.Functions.Tests;

public sealed class ActionEnvironmentTests
{
    [Fact]
    public void Parse_reads_an_object_of_strings_in_ordinal_order()
    {
        var problems = new List<string>();

        var variables = ActionEnvironment.Parse(Json("""{"b": "2", "B": "1", "a": ""}"""), problems);

        Assert.Empty(problems);
        Assert.Equal(["B", "a", "b"], variables!.Select(v => v.Key));
        Assert.Equal("", variables![1].Value);
    }

    [Theory]
    [InlineData("\"A=1\"", "must be a JSON object of strings", "not a string")]
    [InlineData("[\"A\"]", "must be a JSON object of strings", "not an array")]
    [InlineData("{\"A\": 1}", "the value of 'A' must be a string, not a number", null)]
    [InlineData("{\"\": \"x\"}", "an empty variable name", null)]
    [InlineData("{\"A=B\": \"x\"}", "the name 'A=B' contains '='", null)]
    [InlineData("{\"A\\u0000\": \"x\"}", "the name 'A\\u0000' contains a NUL character", null)]
    [InlineData("{\"A\": \"x\\u0000\"}", "the value of 'A' contains a NUL character", null)]
    [InlineData("{\"A\": \"\\ud800\"}", "the value of 'A' is not valid Unicode", null)]
    [InlineData("{\"A\": \"1\", \"A\": \"2\"}", "sets 'A' twice", null)]
    public void Parse_refuses_what_an_enclave_could_not_use_naming_the_annotation(string json, string expected, string? also)
    {
        var problems = new List<string>();

        Assert.Null(ActionEnvironment.Parse(Json(json), problems));

        var problem = Assert.Single(problems);
        Assert.StartsWith("'carapace.env'", problem, StringComparison.Ordinal);
        Assert.Contains(expected, problem, StringComparison.Ordinal);
        if (also is not null)
        {
            Assert.Contains(also, problem, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Sizes_and_counts_are_bounded_like_the_manifest()
    {
        var tooMany = Enumerable.Range(0, FunctionManifest.MaxEnvironmentVariables + 1).Select(i => new KeyValuePair<string, string>($"V{i}", "x"));
        Assert.Contains(ActionEnvironment.Check(tooMany, "env"), p => p.Contains("more than 1024 variables", StringComparison.Ordinal));

        var longName = new string('N', FunctionManifest.MaxEnvironmentNameBytes + 1);
        Assert.Contains(ActionEnvironment.Check([new(longName, "x")], "env"), p => p.Contains("a name is at most 256", StringComparison.Ordinal));

        // 1023 variables of 5 + 1 + 240 + 1 bytes fit in the 256 KiB environment; one more of 16 KiB does not.
        var fits = Enumerable.Range(0, 1023).Select(i => new KeyValuePair<string, string>($"V{i:0000}", new string('x', 240))).ToList();
        Assert.Empty(ActionEnvironment.Check(fits, "env"));
        new FunctionManifest { Environment = fits }.Validate();
        var e = Assert.Throws<ArgumentException>(() => new FunctionManifest { Environment = [.. fits, new("X", new string('x', 16 * 1024))] }.Validate());
        Assert.Contains("bytes in all", e.Message, StringComparison.Ordinal);
    }

    private static JsonElement Json(string text)
    {
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }
}
