using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Carapace.Gateway.Http;
using Microsoft.AspNetCore.Http;

namespace Carapace.Gateway.Web;

/// <summary>Who may call a web action (<c>require-whisk-auth</c>) and the CORS headers OpenWhisk's web route sends.</summary>
internal static class WebAccess
{
    private const string AllowedMethods = "OPTIONS, GET, DELETE, POST, PUT, HEAD, PATCH";
    private const string DefaultAllowedHeaders = "Authorization, Origin, X-Requested-With, Content-Type, Accept, User-Agent";

    /// <summary>
    /// Whether the request meets the action's <c>require-whisk-auth</c>: none or <c>false</c> lets anyone in; <c>true</c>
    /// asks for a credential of the action's namespace; a string or number asks for that value in
    /// <c>X-Require-Whisk-Auth</c> (compared in constant time); any other value lets no one in.
    /// </summary>
    public static bool Authorized(HttpContext context, WebAnnotations annotations, string owner)
    {
        if (annotations.RequireAuth is not { } required)
        {
            return true;
        }

        string expected;
        switch (required.ValueKind)
        {
            case JsonValueKind.False:
                return true;
            case JsonValueKind.True:
                return GatewayRequest.Of(context).Namespace == owner;
            case JsonValueKind.String:
                expected = required.GetString()!;
                break;
            case JsonValueKind.Number:
                expected = required.GetRawText();
                break;
            default:
                return false;
        }

        var given = context.Request.Headers[WebAnnotations.AuthHeader];
        return given.Count == 1 && CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(given[0] ?? "")), SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
    }

    public static void AddCors(HttpContext context)
    {
        var headers = context.Response.Headers;
        headers.AccessControlAllowOrigin = "*";
        headers.AccessControlAllowMethods = AllowedMethods;
        var requested = context.Request.Headers.AccessControlRequestHeaders;
        headers.AccessControlAllowHeaders = requested.Count > 0 ? requested.ToString() : DefaultAllowedHeaders;
    }
}
