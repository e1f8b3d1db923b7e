using System.Text.Json;
using Carapace.Controller.Packages;
using Carapace.Controller.Registry;
using Carapace.Controller.Tests.Contracts;
using Microsoft.Extensions.Time.Testing;

namespace Carapace.Controller.Tests.Packages;

/// <summary>Packages in the controller's real SQLite file: names with a package, resolution through bindings, deletion.</summary>
public abstract class PackageRegistryContract : IDisposable
{
    private static readonly byte[] s_module = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    private readonly StoreBackend _backend;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly ActionRegistry _actions;
    private readonly PackageRegistry _packages;

    protected PackageRegistryContract(StoreBackend backend)
    {
        _backend = backend;
        _actions = _backend.Actions(_time);
        _packages = _backend.Packages(_time);
        _actions.CreateNamespace("guest");
        _actions.CreateNamespace("other");
    }

    public void Dispose()
    {
        _packages.Dispose();
        _actions.Dispose();
        _backend.Dispose();
    }

    [Theory]
    [InlineData("/ns/name", "ns", null, "name")]
    [InlineData("/ns/pkg/name", "ns", "pkg", "name")]
    public void Names_parse_with_or_without_a_package(string text, string ns, string? package, string own)
    {
        Assert.True(ActionName.TryParse(text, out var name));
        Assert.Equal(ns, name.Namespace);
        Assert.Equal(package, name.Package);
        Assert.Equal(own, name.Short);
        Assert.Equal(text, name.ToString());
        Assert.Equal(package is null ? ns : ns + "/" + package, name.EntityPath);
    }

    [Theory]
    [InlineData("/ns")]
    [InlineData("/ns/a/b/c")]
    [InlineData("/ns//b")]
    [InlineData("ns/a")]
    [InlineData("/ns/-a/b")]
    public void Names_with_fewer_or_more_parts_or_bad_parts_do_not_parse(string text) => Assert.False(ActionName.TryParse(text, out _));

    [Fact]
    public void Parameters_merge_key_by_key_with_the_upper_layer_winning_in_place()
    {
        var merged = ParameterMerge.Over([KeyValue.Of("a", 1), KeyValue.Of("b", 1)], [KeyValue.Of("b", 2), KeyValue.Of("c", 2)]);
        Assert.Equal(["a:1", "b:2", "c:2"], merged.Select(p => $"{p.Key}:{p.Value.GetInt32()}"));
    }

    [Fact]
    public void An_action_in_a_package_inherits_its_parameters_and_through_a_binding_runs_under_the_bindings_name()
    {
        _packages.Put("guest", "tools", new PackageDefinition { Parameters = [KeyValue.Of("a", "package"), KeyValue.Of("b", "package")] }, false);
        Assert.Equal(PutActionStatus.Created, _actions.Put(ActionName.Of("guest", "tools", "x"),
            new ActionDefinition { Exec = ActionExec.Wasm(s_module), Parameters = [KeyValue.Of("b", "action")] }, false).Status);
        _packages.Put("guest", "mine", new PackageDefinition { Binding = new PackageReference("guest", "tools"), Parameters = [KeyValue.Of("a", "binding")] }, false);

        var raw = _actions.Get(ActionName.Of("guest", "tools", "x"))!;
        Assert.Equal(["b=action"], Text(raw.Parameters));
        Assert.Equal(["a=package", "b=action"], Text(_actions.GetResolved(raw.Name)!.Parameters));

        var bound = _actions.GetResolved(ActionName.Of("guest", "mine", "x"))!;
        Assert.Equal(raw.Name, bound.Name);
        Assert.Equal(["a=binding", "b=action"], Text(bound.Parameters));

        var run = _actions.Resolve(ActionName.Of("guest", "mine", "x"));
        Assert.Equal(SequenceResolutionStatus.Resolved, run.Status);
        Assert.Equal("/guest/mine/x", run.Root!.Name.ToString());
        Assert.Equal(["a=binding", "b=action"], Text(run.Root.Parameters));
    }

    [Fact]
    public void An_action_needs_an_existing_package_that_is_not_a_binding()
    {
        Assert.Equal(PutActionStatus.PackageNotFound, _actions.Put(ActionName.Of("guest", "nope", "x"), new ActionDefinition { Exec = ActionExec.Wasm(s_module) }, false).Status);
        _packages.Put("guest", "tools", new PackageDefinition(), false);
        _packages.Put("guest", "mine", new PackageDefinition { Binding = new PackageReference("guest", "tools") }, false);
        var inBinding = _actions.Put(ActionName.Of("guest", "mine", "x"), new ActionDefinition { Exec = ActionExec.Wasm(s_module) }, false);
        Assert.Equal(PutActionStatus.Invalid, inBinding.Status);
        Assert.True(_actions.IsInBinding(ActionName.Of("guest", "mine", "x")));
    }

    [Fact]
    public void A_package_with_actions_is_deleted_only_with_force_and_only_its_own_actions_go()
    {
        _packages.Put("guest", "tools", new PackageDefinition(), false);
        _packages.Put("guest", "tools2", new PackageDefinition(), false);
        foreach (var name in new[] { ActionName.Of("guest", "tools", "a"), ActionName.Of("guest", "tools", "b"), ActionName.Of("guest", "tools2", "c"), ActionName.Of("guest", "toolsx") })
        {
            Assert.Equal(PutActionStatus.Created, _actions.Put(name, new ActionDefinition { Exec = ActionExec.Wasm(s_module) }, false).Status);
        }

        var refused = _packages.Delete("guest", "tools", force: false);
        Assert.Equal((DeletePackageStatus.NotEmpty, 2), (refused.Status, refused.Actions));
        Assert.NotNull(_packages.Get("guest", "tools"));
        Assert.Equal(2, _packages.ActionsOf(_packages.Get("guest", "tools")!).Count);
        var deleted = _packages.Delete("guest", "tools", force: true);
        Assert.Equal((DeletePackageStatus.Deleted, 2), (deleted.Status, deleted.Actions));
        Assert.Null(_actions.Get(ActionName.Of("guest", "tools", "a")));
        Assert.NotNull(_actions.Get(ActionName.Of("guest", "tools2", "c")));
        Assert.NotNull(_actions.Get(ActionName.Of("guest", "toolsx")));
    }

    [Fact]
    public void A_binding_reaches_another_namespaces_package_only_while_it_is_published()
    {
        _packages.Put("other", "shared", new PackageDefinition { Publish = false }, false);
        var refused = _packages.Put("guest", "b", new PackageDefinition { Binding = new PackageReference("other", "shared") }, false);
        Assert.Equal("Binding references a package that does not exist.", refused.Error);

        _packages.Put("other", "shared", new PackageDefinition { Publish = true }, true);
        Assert.Equal(PutPackageStatus.Created, _packages.Put("guest", "b", new PackageDefinition { Binding = new PackageReference("other", "shared") }, false).Status);
        Assert.NotNull(_packages.Resolve("guest", "b"));

        _packages.Put("other", "shared", new PackageDefinition { Publish = false }, true);
        Assert.Null(_packages.Resolve("guest", "b"));
        Assert.Single(_packages.List("other", PageRequest.Default));
        Assert.Empty(_packages.List("other", PageRequest.Default, publishedOnly: true));
    }

    private static string[] Text(IReadOnlyList<KeyValue> parameters) => [.. parameters.Select(p => $"{p.Key}={p.Value.GetString()}")];
}
