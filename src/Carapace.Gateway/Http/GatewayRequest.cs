using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;

namespace Carapace.Gateway.Http;

/// <summary>What the gateway knows about a request once it passed authentication: its id and the caller's namespace.</summary>
internal sealed class GatewayRequest
{
    private static readonly object Key = new();

    private GatewayRequest(string id) => Id = id;

    /// <summary>The request id: OpenWhisk's transaction id, the <c>code</c> of every error body and the <c>X-Request-ID</c> header.</summary>
    public string Id { get; }

    /// <summary>The authenticated namespace; null until authentication succeeded.</summary>
    public string? Namespace { get; set; }

    public static GatewayRequest Begin(HttpContext context)
    {
        var request = new GatewayRequest(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)));
        context.Items[Key] = request;
        context.Response.Headers["X-Request-ID"] = request.Id;
        return request;
    }

    public static GatewayRequest Of(HttpContext context) =>
        context.Items[Key] as GatewayRequest ?? throw new InvalidOperationException("the gateway pipeline did not start this request");
}
