using System.Text.Json.Serialization;

namespace Carapace.Enclave.Js;

/// <summary>Source-generated JSON for the strings the JavaScript enclave writes itself (error messages).</summary>
[JsonSerializable(typeof(string))]
internal sealed partial class JsJson : JsonSerializerContext;
