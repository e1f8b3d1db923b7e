using Microsoft.AspNetCore.Http;

namespace Carapace.Gateway.Http;

/// <summary>Resolves the <c>{ns}</c> of a path against the caller: <c>_</c> and the caller's own namespace are allowed.</summary>
internal static class NamespaceScope
{
    /// <summary>
    /// The namespace a request addresses, or null after writing a 403 when it names a namespace the caller's
    /// credential does not grant (as OpenWhisk, whether or not that namespace exists).
    /// </summary>
    public static async Task<string?> ResolveAsync(HttpContext context)
    {
        var caller = GatewayRequest.Of(context).Namespace!;
        var requested = context.Request.RouteValues["ns"] as string;
        if (requested == "_" || requested == caller)
        {
            return caller;
        }

        await ApiError.WriteAsync(context, StatusCodes.Status403Forbidden, ApiError.NotAuthorized).ConfigureAwait(false);
        return null;
    }
}
