using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Carapace.Gateway.Http;

/// <summary>
/// OpenWhisk's error messages and body, <c>{"error": "...", "code": "&lt;request id&gt;"}</c>. Messages say what was
/// wrong in public terms (names, sizes, limits); never a request body, a key or a stack trace.
/// </summary>
internal static class ApiError
{
    public const string AuthenticationInvalid = "The supplied authentication is invalid";
    public const string NotAuthorized = "The supplied authentication is not authorized to access this resource.";
    public const string ResourceDoesNotExist = "The requested resource does not exist.";
    public const string MethodNotAllowed = "The requested method is not supported for this resource.";
    public const string InternalError = "The server encountered an internal error; retry later or report the request id.";

    public static string TooLarge(long max) =>
        $"The request content was malformed: the request is larger than the allowed {max} bytes; send a smaller body.";

    public static Task WriteAsync(HttpContext context, int status, string message)
    {
        var body = new JsonObject { ["error"] = message, ["code"] = GatewayRequest.Of(context).Id };
        return JsonOutput.WriteAsync(context, status, body);
    }
}
