using System.Text.Json;

namespace Carapace.Client.Gateway;

/// <summary>An activation's <c>response</c> (also the body of <c>/result</c>).</summary>
/// <param name="Status"><c>success</c>, <c>application error</c>, <c>action developer error</c> or <c>whisk internal error</c>.</param>
/// <param name="StatusCode">The numeric form of <paramref name="Status"/> (0 to 3).</param>
/// <param name="Success">True for success.</param>
/// <param name="Result">The result object (for a confidential action, sizes and hashes of the sealed output).</param>
public sealed record GatewayActivationResponse(string Status, int StatusCode, bool Success, JsonElement Result);
