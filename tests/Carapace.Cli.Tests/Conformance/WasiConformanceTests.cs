using Carapace.Cli.Conformance;

namespace Carapace.Cli.Tests.Conformance;

/// <summary>
/// WebAssembly's WASI preview 1 conformance suite (tests/data/wasi-testsuite), every module through the enclave path
/// of <c>carapace run</c>: a failure names the module and says what differed.
/// </summary>
public sealed class WasiConformanceTests(ConformanceFixture fixture) : IClassFixture<ConformanceFixture>
{
    public static TheoryData<string> Modules()
    {
        var data = new TheoryData<string>();
        foreach (var path in ConformanceCase.FindModules(ConformanceFixture.Suite))
        {
            data.Add(Path.GetRelativePath(ConformanceFixture.Suite, path));
        }

        return data;
    }

    [Fact]
    public void The_suite_holds_all_72_preview1_modules_and_its_license()
    {
        Assert.Equal(72, ConformanceCase.FindModules(ConformanceFixture.Suite).Count);
        Assert.True(File.Exists(Path.Combine(ConformanceFixture.Suite, "LICENSE")));
        Assert.True(File.Exists(Path.Combine(ConformanceFixture.Suite, "MANIFEST.md")));
        Assert.True(File.Exists(Path.Combine(ConformanceFixture.Suite, "doc", "specification.md")));
    }

    [Theory]
    [MemberData(nameof(Modules))]
    public async Task The_module_passes_in_an_enclave(string module)
    {
        var test = ConformanceCase.Load(Path.Combine(ConformanceFixture.Suite, module));

        var result = await fixture.Runner.RunAsync(test);

        Assert.True(result.Verdict == ConformanceVerdict.Passed, $"{result.Verdict}: {result.Reason}");
    }
}
