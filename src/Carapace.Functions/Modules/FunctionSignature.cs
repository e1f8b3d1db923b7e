namespace Carapace.Functions.Modules;

/// <summary>The parameter and result types of a WebAssembly function; equal when both lists are equal.</summary>
public sealed class FunctionSignature : IEquatable<FunctionSignature>
{
    private readonly WasmValueType[] _parameters;
    private readonly WasmValueType[] _results;

    /// <summary>A signature with these parameter and result types, in order.</summary>
    public FunctionSignature(IEnumerable<WasmValueType> parameters, IEnumerable<WasmValueType> results)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(results);
        _parameters = [.. parameters];
        _results = [.. results];
    }

    /// <summary>The parameter types, in order.</summary>
    public IReadOnlyList<WasmValueType> Parameters => _parameters;

    /// <summary>The result types, in order.</summary>
    public IReadOnlyList<WasmValueType> Results => _results;

    /// <summary>The WebAssembly text name of a value type (<c>i32</c>, <c>funcref</c>, …).</summary>
    public static string NameOf(WasmValueType type) => type switch
    {
        WasmValueType.I32 => "i32",
        WasmValueType.I64 => "i64",
        WasmValueType.F32 => "f32",
        WasmValueType.F64 => "f64",
        WasmValueType.V128 => "v128",
        WasmValueType.FuncRef => "funcref",
        WasmValueType.ExternRef => "externref",
        _ => "ref",
    };

    /// <inheritdoc/>
    public bool Equals(FunctionSignature? other) =>
        other is not null && _parameters.AsSpan().SequenceEqual(other._parameters) && _results.AsSpan().SequenceEqual(other._results);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as FunctionSignature);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var p in _parameters)
        {
            hash.Add(p);
        }

        hash.Add(-1);
        foreach (var r in _results)
        {
            hash.Add(r);
        }

        return hash.ToHashCode();
    }

    /// <summary>The signature as <c>(i32, i64) -&gt; i32</c>; no results read <c>-&gt; ()</c>.</summary>
    public override string ToString()
    {
        var results = _results.Length == 1 ? NameOf(_results[0]) : "(" + string.Join(", ", _results.Select(NameOf)) + ")";
        return "(" + string.Join(", ", _parameters.Select(NameOf)) + ") -> " + results;
    }
}
