using Carapace.Cli.Conformance;

namespace Carapace.Cli.Tests.Conformance;

public sealed class ConformanceCaseTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Without_a_json_file_the_defaults_apply_and_stdout_is_not_compared()
    {
        var test = ConformanceCase.Load(Module("plain"));

        Assert.Equal("plain", test.Name);
        Assert.Empty(test.Arguments);
        Assert.Empty(test.Environment);
        Assert.Null(test.Root);
        Assert.Equal(0, test.ExitCode);
        Assert.Null(test.Stdout);
        Assert.Null(test.Unsupported);
    }

    [Fact]
    public void The_legacy_fields_are_read_in_order()
    {
        Directory.CreateDirectory(_dir.File("fs.dir"));
        File.WriteAllText(_dir.File("legacy.json"), """{"args": ["b", "a"], "env": {"Z": "1", "A": "2"}, "root": "fs.dir", "exit_code": 3, "stdout": "out"}""");

        var test = ConformanceCase.Load(Module("legacy"));

        Assert.Equal(["b", "a"], test.Arguments);
        Assert.Equal([new("Z", "1"), new("A", "2")], test.Environment);
        Assert.Equal(_dir.File("fs.dir"), test.Root);
        Assert.Equal(3, test.ExitCode);
        Assert.Equal("out", test.Stdout);
    }

    [Fact]
    public void The_operations_form_is_read_and_network_operations_or_proposals_are_unsupported()
    {
        File.WriteAllText(_dir.File("ops.json"), """{"operations": [{"type": "run", "args": ["x"]}, {"type": "read", "payload": "hi"}, {"type": "wait", "exit_code": 2}]}""");
        File.WriteAllText(_dir.File("net.json"), """{"operations": [{"type": "run"}, {"type": "connect"}, {"type": "wait"}]}""");
        File.WriteAllText(_dir.File("http.json"), """{"proposals": ["http"], "operations": [{"type": "run"}, {"type": "wait"}]}""");

        var ops = ConformanceCase.Load(Module("ops"));
        var net = ConformanceCase.Load(Module("net"));
        var http = ConformanceCase.Load(Module("http"));

        Assert.Equal(["x"], ops.Arguments);
        Assert.Equal("hi", ops.Stdout);
        Assert.Equal(2, ops.ExitCode);
        Assert.Null(ops.Unsupported);
        Assert.Contains("connect", net.Unsupported, StringComparison.Ordinal);
        Assert.Contains("http", http.Unsupported, StringComparison.Ordinal);
    }

    [Fact]
    public void A_broken_specification_or_a_missing_root_is_a_clear_error()
    {
        File.WriteAllText(_dir.File("bad.json"), "{ not json");
        File.WriteAllText(_dir.File("noroot.json"), """{"root": "missing.dir"}""");

        Assert.Contains("bad.json", Assert.Throws<FormatException>(() => ConformanceCase.Load(Module("bad"))).Message, StringComparison.Ordinal);
        Assert.Contains("missing.dir does not exist", Assert.Throws<FormatException>(() => ConformanceCase.Load(Module("noroot"))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cleanup_artefacts_are_removed_and_nothing_else()
    {
        Directory.CreateDirectory(_dir.File("root/writeable/x.cleanup"));
        File.WriteAllText(_dir.File("root/writeable/x.cleanup/inner"), "");
        File.WriteAllText(_dir.File("root/y.cleanup"), "");
        File.WriteAllText(_dir.File("root/keep.txt"), "");

        Assert.Equal(2, ConformanceCase.RemoveCleanupArtifacts(_dir.Path));
        Assert.False(Directory.Exists(_dir.File("root/writeable/x.cleanup")));
        Assert.False(File.Exists(_dir.File("root/y.cleanup")));
        Assert.True(File.Exists(_dir.File("root/keep.txt")));
    }

    private string Module(string name)
    {
        var path = _dir.File(name + ".wasm");
        File.WriteAllBytes(path, [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
        return path;
    }
}
