using Carapace.Cli.Tcb;

namespace Carapace.Cli.Tests.Tcb;

/// <summary>What counts as a line of code for <c>carapace tcb</c>: not blank, not only a comment; literals are code.</summary>
public sealed class CodeLinesTests
{
    [Theory]
    [InlineData("", 0)]
    [InlineData("\n\n   \n\t\n", 0)]
    [InlineData("int x = 1;", 1)]
    [InlineData("int x = 1;\r\nint y = 2;\r\n", 2)]
    [InlineData("// a comment\n/// <summary>doc</summary>\nint x;\n", 1)]
    [InlineData("int x; // trailing comment\n", 1)]
    [InlineData("/* one\n   two\n   three */\nint x;\n", 1)]
    [InlineData("/* a */ int x;\nint y; /* b\n c */\n", 2)]
    [InlineData("var url = \"https://example.org\";\n// next\n", 1)]
    [InlineData("var s = \"/* not a comment\";\nint x;\nvar t = \"*/\";\n", 3)]
    [InlineData("var s = @\"C:\\dir\\\"\" // still the string\n// and a comment after it\";\n", 2)]
    [InlineData("var raw = \"\"\"\n    // inside a raw string\n\n    text\n    \"\"\";\n", 4)]
    [InlineData("var i = $\"{(ok ? \"a\" : \"b\")} // text {x}\";\n// comment\n", 1)]
    [InlineData("var j = $$\"\"\"\n  {\"k\": {{Value(\"//\")}}}\n  \"\"\"; // end\n/* after */\n", 3)]
    [InlineData("char q = '\"'; char s = '/';\n// c\n", 1)]
    [InlineData("#if DEBUG\nint x;\n#endif\n", 3)]
    public void Counts_lines_that_hold_code(string text, int expected) => Assert.Equal(expected, CodeLines.Count(text));

    [Fact]
    public void A_comment_marker_inside_an_interpolation_hole_string_is_not_a_comment()
    {
        const string text = "var a = $\"{Join(\"//\", parts)}\";\nvar b = 2;\n";

        Assert.Equal(2, CodeLines.Count(text));
    }
}
