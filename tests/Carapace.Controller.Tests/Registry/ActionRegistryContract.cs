using Carapace.Controller.Registry;
using Carapace.Controller.Tests.Contracts;
using Microsoft.Extensions.Time.Testing;

namespace Carapace.Controller.Tests.Registry;

public abstract class ActionRegistryContract : IDisposable
{
    private static readonly byte[] s_module = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    private readonly StoreBackend _backend;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly ActionRegistry _registry;

    protected ActionRegistryContract(StoreBackend backend)
    {
        _backend = backend;
        _registry = backend.Actions(_time);
        _registry.CreateNamespace("guest");
    }

    public void Dispose()
    {
        _registry.Dispose();
        _backend.Dispose();
    }

    private static ActionName N(string name) => ActionName.Of("guest", name);

    private static ActionDefinition Wasm(byte[]? module = null) => new() { Exec = ActionExec.Wasm(module ?? s_module) };

    private static ActionDefinition Seq(params string[] components) => new() { Exec = ActionExec.Sequence(components) };

    [Fact]
    public void Create_stores_version_0_0_1_with_defaults_and_a_module_hash()
    {
        var result = _registry.Put(N("hello"), Wasm(), overwrite: false);

        Assert.Equal(PutActionStatus.Created, result.Status);
        var stored = _registry.Get(N("hello"))!;
        Assert.Equal("0.0.1", stored.Version);
        Assert.Equal(ActionKinds.Wasm, stored.Exec.Kind);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(s_module)), stored.Exec.ModuleSha256);
        Assert.Equal(s_module, _registry.GetModule(stored.Exec.ModuleSha256!));
        Assert.Equal(ActionLimits.Default, stored.Limits);
        Assert.True(stored.Confidential);
        Assert.False(stored.Publish);
        Assert.Equal(_time.GetUtcNow(), stored.Updated);
    }

    [Fact]
    public void A_javascript_action_keeps_its_kind_source_and_entry_point()
    {
        var source = "function greet(params) { return { hi: params.name }; }"u8.ToArray();

        _registry.Put(N("js"), new ActionDefinition { Exec = ActionExec.JavaScript("nodejs:20", source, "greet") }, overwrite: false);

        var stored = _registry.Get(N("js"))!;
        Assert.Equal("nodejs:20", stored.Exec.Kind);
        Assert.Equal("greet", stored.Exec.Main);
        Assert.Equal(source, _registry.GetModule(stored.Exec.ModuleSha256!));
        _registry.Put(N("wasm"), Wasm(), overwrite: false);
        Assert.Null(_registry.Get(N("wasm"))!.Exec.Main);
    }

    [Fact]
    public void Put_of_an_existing_action_without_overwrite_is_a_conflict_and_changes_nothing()
    {
        _registry.Put(N("hello"), Wasm(), overwrite: false);

        var result = _registry.Put(N("hello"), Wasm([1, 2, 3]), overwrite: false);

        Assert.Equal(PutActionStatus.Conflict, result.Status);
        Assert.Contains("overwrite=true", result.Error);
        Assert.Equal("0.0.1", _registry.Get(N("hello"))!.Version);
    }

    [Fact]
    public void Update_with_overwrite_bumps_the_patch_version_and_keeps_unspecified_fields()
    {
        var annotations = new[] { KeyValue.Of("description", "greets") };
        _registry.Put(N("hello"), Wasm(), overwrite: false);
        _registry.Put(N("hello"), new ActionDefinition { Exec = ActionExec.Wasm(s_module), Annotations = annotations, Limits = new(512, 1000) }, overwrite: true);
        _time.Advance(TimeSpan.FromSeconds(5));

        var third = _registry.Put(N("hello"), new ActionDefinition { Confidential = false }, overwrite: true);

        Assert.Equal(PutActionStatus.Updated, third.Status);
        var stored = _registry.Get(N("hello"))!;
        Assert.Equal("0.0.3", stored.Version);
        Assert.Equal(new ActionLimits(512, 1000), stored.Limits);
        Assert.Equal("greets", Assert.Single(stored.Annotations).Value.GetString());
        Assert.False(stored.Confidential);
        Assert.Equal(_time.GetUtcNow(), stored.Updated);
    }

    [Fact]
    public void Update_merges_the_given_annotations_over_the_stored_ones_and_replaces_parameters_as_openwhisk()
    {
        _registry.Put(N("hello"), new ActionDefinition
        {
            Exec = ActionExec.Wasm(s_module),
            Annotations = [KeyValue.Of("x", "one"), KeyValue.Of("y", "old")],
            Parameters = [KeyValue.Of("a", 1), KeyValue.Of("b", 2)],
        }, overwrite: false);

        _registry.Put(N("hello"), new ActionDefinition { Annotations = [KeyValue.Of("y", "new"), KeyValue.Of("z", true)] }, overwrite: true);
        var annotated = _registry.Get(N("hello"))!;
        Assert.Equal([("x", "\"one\""), ("y", "\"new\""), ("z", "true")], annotated.Annotations.Select(a => (a.Key, a.Value.GetRawText())));
        Assert.Equal(["a", "b"], annotated.Parameters.Select(p => p.Key));

        _registry.Put(N("hello"), new ActionDefinition { Parameters = [KeyValue.Of("c", 3)] }, overwrite: true);
        var parameterised = _registry.Get(N("hello"))!;
        Assert.Equal(["c"], parameterised.Parameters.Select(p => p.Key));
        Assert.Equal(["x", "y", "z"], parameterised.Annotations.Select(a => a.Key));
    }

    [Theory]
    [InlineData(127, 60_000, "'limits.memory' 127 MB")]
    [InlineData(513, 60_000, "'limits.memory' 513 MB")]
    [InlineData(256, 99, "'limits.timeout' 99 ms")]
    [InlineData(256, 300_001, "'limits.timeout' 300001 ms")]
    public void Limits_outside_OpenWhisk_ranges_are_rejected(int memory, int timeout, string message)
    {
        var result = _registry.Put(N("hello"), new ActionDefinition { Exec = ActionExec.Wasm(s_module), Limits = new(memory, timeout) }, false);

        Assert.Equal(PutActionStatus.Invalid, result.Status);
        Assert.Contains(message, result.Error);
        Assert.Null(_registry.Get(N("hello")));
    }

    [Fact]
    public void Invalid_definitions_are_typed_failures()
    {
        Assert.Equal(PutActionStatus.Invalid, _registry.Put(N("a"), new ActionDefinition(), false).Status);
        Assert.Equal(PutActionStatus.Invalid, _registry.Put(N("a"), Wasm([]), false).Status);
        Assert.Equal(PutActionStatus.Invalid, _registry.Put(N("a"), Seq(), false).Status);
        Assert.Equal(PutActionStatus.Invalid, _registry.Put(N("a"), Seq("not-qualified"), false).Status);
        Assert.Equal(PutActionStatus.NamespaceNotFound, _registry.Put(ActionName.Of("nobody", "a"), Wasm(), false).Status);
        Assert.Throws<ArgumentException>(() => ActionName.Of("guest", "../etc"));
    }

    [Fact]
    public void List_pages_newest_updated_first_with_OpenWhisk_defaults()
    {
        for (var i = 0; i < 45; i++)
        {
            _registry.Put(N($"a{i:00}"), Wasm(), false);
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        var first = _registry.List("guest", PageRequest.Default);
        Assert.True(PageRequest.TryCreate(30, null, out var second, out _));
        var rest = _registry.List("guest", second);

        Assert.Equal(30, first.Count);
        Assert.Equal("a44", first[0].Name.Name);
        Assert.Equal(15, rest.Count);
        Assert.Equal("a00", rest[^1].Name.Name);
        Assert.Empty(_registry.List("other", PageRequest.Default));
    }

    [Theory]
    [InlineData(null, null, true, 0, 30)]
    [InlineData(5, 0, true, 5, 200)]
    [InlineData(0, 200, true, 0, 200)]
    [InlineData(0, 201, false, 0, 0)]
    [InlineData(-1, 10, false, 0, 0)]
    [InlineData(100_000, 10, true, 100_000, 10)]
    [InlineData(100_001, 10, false, 0, 0)]
    public void Page_requests_follow_OpenWhisk_limits(int? skip, int? limit, bool valid, int expectedSkip, int expectedLimit)
    {
        Assert.Equal(valid, PageRequest.TryCreate(skip, limit, out var page, out var error));
        if (valid)
        {
            Assert.Equal((expectedSkip, expectedLimit), (page.Skip, page.Limit));
        }
        else
        {
            Assert.NotNull(error);
        }
    }

    [Fact]
    public void Delete_removes_the_action_and_returns_it()
    {
        _registry.Put(N("hello"), Wasm(), false);

        Assert.Equal("0.0.1", _registry.Delete(N("hello"))!.Version);
        Assert.Null(_registry.Get(N("hello")));
        Assert.Null(_registry.Delete(N("hello")));
    }

    [Fact]
    public void Identical_modules_are_stored_once_and_collected_when_unused()
    {
        _registry.Put(N("a"), Wasm(), false);
        _registry.Put(N("b"), Wasm(), false);
        Assert.Equal(1, _registry.CountModules());

        _registry.Put(N("c"), Wasm([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01]), false);
        Assert.Equal(2, _registry.CountModules());

        _registry.Delete(N("a"));
        Assert.Equal(2, _registry.CountModules());
        _registry.Delete(N("b"));
        Assert.Equal(1, _registry.CountModules());
        _registry.Put(N("c"), Wasm(), true);
        Assert.Equal(1, _registry.CountModules());
    }

    [Fact]
    public void A_sequence_resolves_to_its_flattened_module_steps()
    {
        _registry.Put(N("hello"), Wasm(), false);
        _registry.Put(N("wordcount"), Wasm(), false);
        _registry.Put(N("sha256"), Wasm(), false);
        _registry.Put(N("inner"), Seq("/guest/wordcount", "/guest/sha256"), false);

        var put = _registry.Put(N("chain"), Seq("/guest/hello", "/guest/inner"), false);
        var resolved = _registry.Resolve(N("chain"));

        Assert.Equal(PutActionStatus.Created, put.Status);
        Assert.Equal(ActionKinds.Sequence, put.Action!.Exec.Kind);
        Assert.Equal(SequenceResolutionStatus.Resolved, resolved.Status);
        Assert.Equal(["hello", "wordcount", "sha256"], resolved.Steps.Select(s => s.Name.Name));
        Assert.Equal(["hello"], _registry.Resolve(N("hello")).Steps.Select(s => s.Name.Name));
        Assert.Equal(SequenceResolutionStatus.NotFound, _registry.Resolve(N("nothing")).Status);
    }

    [Fact]
    public void A_sequence_naming_an_unknown_action_is_rejected_and_a_deleted_component_fails_resolution()
    {
        _registry.Put(N("hello"), Wasm(), false);

        var unknown = _registry.Put(N("chain"), Seq("/guest/hello", "/guest/missing"), false);
        Assert.Equal(PutActionStatus.UnknownComponent, unknown.Status);
        Assert.Contains("/guest/missing", unknown.Error);

        _registry.Put(N("chain"), Seq("/guest/hello"), false);
        _registry.Delete(N("hello"));
        var resolved = _registry.Resolve(N("chain"));
        Assert.Equal(SequenceResolutionStatus.UnknownComponent, resolved.Status);
        Assert.Contains("/guest/hello", resolved.Error);
    }

    [Fact]
    public void Sequences_may_not_form_cycles()
    {
        _registry.Put(N("hello"), Wasm(), false);
        _registry.Put(N("a"), Seq("/guest/hello"), false);
        _registry.Put(N("b"), Seq("/guest/a"), false);

        Assert.Equal(PutActionStatus.Cycle, _registry.Put(N("a"), Seq("/guest/b"), true).Status);
        Assert.Equal(PutActionStatus.Cycle, _registry.Put(N("a"), Seq("/guest/a"), true).Status);
        Assert.Equal(SequenceResolutionStatus.Resolved, _registry.Resolve(N("b")).Status);
        Assert.Equal("0.0.1", _registry.Get(N("a"))!.Version);
    }

    [Fact]
    public void The_registry_survives_a_reopen()
    {
        _registry.Put(N("hello"), new ActionDefinition { Exec = ActionExec.Wasm(s_module), Parameters = [KeyValue.Of("greeting", "hi")] }, false);
        _registry.Put(N("hello"), new ActionDefinition { Publish = true }, true);
        _registry.Dispose();

        using var reopened = _backend.Actions(_time);
        var stored = reopened.Get(N("hello"))!;

        Assert.Equal(["guest"], reopened.ListNamespaces());
        Assert.Equal("0.0.2", stored.Version);
        Assert.True(stored.Publish);
        Assert.Equal("hi", Assert.Single(stored.Parameters).Value.GetString());
        Assert.Equal(s_module, reopened.GetModule(stored.Exec.ModuleSha256!));
    }
}
