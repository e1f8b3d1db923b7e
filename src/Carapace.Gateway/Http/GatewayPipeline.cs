using Carapace.Gateway.Auth;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Carapace.Gateway.Http;

/// <summary>
/// The middleware every request passes: gives it a request id, authenticates the caller (401 otherwise), turns
/// responses the framework left without a body (unknown route 404, wrong method 405) into OpenWhisk error JSON, and
/// turns a full disk into a 507 that says so, and unexpected exceptions into a 500 whose body names only the request id.
/// </summary>
internal sealed class GatewayPipeline(NamespaceCredentials credentials, ILogger logger)
{
    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var request = GatewayRequest.Begin(context);
        try
        {
            if (!BasicAuth.TryParse(context.Request.Headers.Authorization, out var uuid, out var key)
                || !credentials.TryAuthenticate(uuid, key, out var @namespace))
            {
                context.Response.Headers.WWWAuthenticate = "Basic realm=\"carapace\"";
                await ApiError.WriteAsync(context, StatusCodes.Status401Unauthorized, ApiError.AuthenticationInvalid).ConfigureAwait(false);
                Refused(context, request);
                return;
            }

            request.Namespace = @namespace;
            await next(context).ConfigureAwait(false);
            if (!context.Response.HasStarted && context.Response.StatusCode >= 400)
            {
                var status = context.Response.StatusCode;
                await ApiError.WriteAsync(context, status, status == StatusCodes.Status405MethodNotAllowed
                    ? ApiError.MethodNotAllowed : ApiError.ResourceDoesNotExist).ConfigureAwait(false);
            }

            if (context.Response.StatusCode >= 400)
            {
                Refused(context, request);
            }
        }
        catch (Exception e) when (Controller.Storage.StorageFull.IsCause(e) && !context.Response.HasStarted)
        {
            // A full disk is the operator's to fix, not a bug: say so (507), without a stack trace in the log.
            GatewayLog.StorageFull(logger, context.Request.Method, context.Request.Path, request.Id);
            context.Response.Clear();
            await ApiError.WriteAsync(context, StatusCodes.Status507InsufficientStorage, Controller.Storage.StorageFull.Message).ConfigureAwait(false);
        }
        catch (Exception e) when (!context.RequestAborted.IsCancellationRequested)
        {
            GatewayLog.Failed(logger, context.Request.Method, context.Request.Path, request.Id, e);
            if (!context.Response.HasStarted)
            {
                context.Response.Clear();
                await ApiError.WriteAsync(context, StatusCodes.Status500InternalServerError, ApiError.InternalError).ConfigureAwait(false);
            }
        }
    }

    private void Refused(HttpContext context, GatewayRequest request) =>
        GatewayLog.Refused(logger, context.Request.Method, context.Request.Path, context.Response.StatusCode, request.Id);
}
