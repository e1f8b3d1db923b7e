using Carapace.Controller.Registry;
using Carapace.Controller.Tests.Support;

namespace Carapace.Controller.Tests.Registry;

/// <summary>The registry's own checks of annotations and parameters, and how it consults its <see cref="IActionValidator"/>.</summary>
public sealed class ActionRegistryValidationTests : IDisposable
{
    private static readonly byte[] s_module = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    private readonly TempDir _dir = new();
    private readonly RecordingValidator _validator = new();
    private readonly ActionRegistry _registry;

    public ActionRegistryValidationTests()
    {
        _registry = new ActionRegistry(_dir.Database, validator: _validator);
        _registry.CreateNamespace("guest");
    }

    public void Dispose()
    {
        _registry.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public void Duplicate_empty_or_control_keys_are_refused_for_annotations_and_parameters()
    {
        KeyValue[] entries = [KeyValue.Of("a", 1), KeyValue.Of("a", 2), KeyValue.Of("", 3), KeyValue.Of("b\u0001", 4)];

        var annotations = _registry.Put(N("x"), new ActionDefinition { Exec = ActionExec.Wasm(s_module), Annotations = entries }, false);
        var parameters = _registry.Put(N("x"), new ActionDefinition { Exec = ActionExec.Wasm(s_module), Parameters = entries }, false);

        foreach (var (result, field) in new[] { (annotations, "annotations"), (parameters, "parameters") })
        {
            Assert.Equal(PutActionStatus.Invalid, result.Status);
            Assert.Contains($"'{field}' has the key 'a' more than once", result.Error, StringComparison.Ordinal);
            Assert.Contains("empty key", result.Error, StringComparison.Ordinal);
            Assert.Contains("'b\\u0001' contains a control character", result.Error, StringComparison.Ordinal);
        }

        Assert.Null(_registry.Get(N("x")));
    }

    [Fact]
    public void Too_many_or_too_large_entries_are_refused()
    {
        var many = Enumerable.Range(0, KeyValueRules.MaxEntries + 1).Select(i => KeyValue.Of($"k{i}", i)).ToArray();
        var large = new[] { KeyValue.Of("k", new string('x', KeyValueRules.MaxBytes)) };

        Assert.Contains("at most 1000", _registry.Put(N("x"), new ActionDefinition { Exec = ActionExec.Wasm(s_module), Parameters = many }, false).Error,
            StringComparison.Ordinal);
        Assert.Contains("bytes of JSON", _registry.Put(N("x"), new ActionDefinition { Exec = ActionExec.Wasm(s_module), Annotations = large }, false).Error,
            StringComparison.Ordinal);
    }

    [Fact]
    public void A_module_the_validator_refuses_is_not_stored()
    {
        _validator.ModuleProblem = "'exec.code' is not a WebAssembly module.";

        var result = _registry.Put(N("x"), new ActionDefinition { Exec = ActionExec.Wasm(s_module) }, false);

        Assert.Equal(PutActionStatus.Invalid, result.Status);
        Assert.Equal("'exec.code' is not a WebAssembly module.", result.Error);
        Assert.Null(_registry.Get(N("x")));
        Assert.Equal(0, _registry.CountModules());
    }

    [Fact]
    public void An_update_is_checked_as_it_would_be_stored_with_the_kept_fields_and_the_stored_module()
    {
        var env = KeyValue.Of("carapace.env", new Dictionary<string, string> { ["MODE"] = "fast" });
        _registry.Put(N("x"), new ActionDefinition { Exec = ActionExec.Wasm(s_module), Annotations = [env], Limits = new(512, 1000) }, false);
        _validator.ActionProblem = "refused";

        var result = _registry.Put(N("x"), new ActionDefinition { Limits = new(128, 1000) }, overwrite: true);

        Assert.Equal(PutActionStatus.Invalid, result.Status);
        var (checkedAction, module) = _validator.Checked[^1];
        Assert.Equal(new ActionLimits(128, 1000), checkedAction.Limits);
        Assert.Equal("fast", Assert.Single(checkedAction.Annotations).Value.GetProperty("MODE").GetString());
        Assert.Equal(s_module, module);
        Assert.Equal(new ActionLimits(512, 1000), _registry.Get(N("x"))!.Limits);
    }

    private static ActionName N(string name) => ActionName.Of("guest", name);

    private sealed class RecordingValidator : IActionValidator
    {
        public string? ModuleProblem { get; set; }

        public string? ActionProblem { get; set; }

        public List<(ActionRecord Action, byte[] Module)> Checked { get; } = [];

        public IReadOnlyList<string> CheckModule(ReadOnlySpan<byte> module) => ModuleProblem is { } p ? [p] : [];

        public IReadOnlyList<string> CheckAction(ActionRecord action, ReadOnlySpan<byte> module)
        {
            Checked.Add((action, module.ToArray()));
            return ActionProblem is { } p ? [p] : [];
        }
    }
}
