namespace Carapace.Functions.Modules;

/// <summary>A WebAssembly value type as it appears in a function signature.</summary>
public enum WasmValueType
{
    /// <summary><c>i32</c>.</summary>
    I32,

    /// <summary><c>i64</c>.</summary>
    I64,

    /// <summary><c>f32</c>.</summary>
    F32,

    /// <summary><c>f64</c>.</summary>
    F64,

    /// <summary><c>v128</c>.</summary>
    V128,

    /// <summary><c>funcref</c>.</summary>
    FuncRef,

    /// <summary><c>externref</c>.</summary>
    ExternRef,

    /// <summary>Any other reference type (typed references and the GC proposal's abstract heap types).</summary>
    OtherRef,
}
