using System.Globalization;
using Carapace.Gateway.Auth;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Carapace.Gateway.Http;

/// <summary>
/// The middleware every request passes: gives it a request id, refuses a request line or headers over
/// <see cref="RequestHeadLimits"/> (414, 431), authenticates the caller (401 otherwise, except under the web actions'
/// route, where a credential is optional), turns
/// responses the framework left without a body (unknown route 404, wrong method 405) into OpenWhisk error JSON,
/// answers a request the server refused while the application read it (a body too slow, too large or malformed:
/// <see cref="BadHttpRequestException"/>) with the exception's status and OpenWhisk's error JSON, logged as one line,
/// turns a full disk into a 507 that says so, and unexpected exceptions — bugs — into a 500 whose body names only
/// the request id (logged with the exception).
/// </summary>
internal sealed class GatewayPipeline(NamespaceCredentials credentials, GatewayOptions options, ILogger logger)
{
    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var request = GatewayRequest.Begin(context);
        using var span = GatewayTelemetry.Stages.Start("request");
        using var auth = GatewayTelemetry.Stages.Start("auth");
        try
        {
            if (RequestHeadLimits.Check(context) is { } tooLarge)
            {
                await ApiError.WriteAsync(context, tooLarge.Status, tooLarge.Message).ConfigureAwait(false);
                Refused(context, request);
                return;
            }

            if (BasicAuth.TryParse(context.Request.Headers.Authorization, out var uuid, out var key)
                && credentials.TryAuthenticate(uuid, key, out var @namespace))
            {
                request.Namespace = @namespace;
            }
            else if (!Web.WebEndpoints.IsWebPath(context.Request.Path))
            {
                // Every route but the web actions' needs a credential; there, the action's annotation decides.
                context.Response.Headers.WWWAuthenticate = "Basic realm=\"carapace\"";
                await ApiError.WriteAsync(context, StatusCodes.Status401Unauthorized, ApiError.AuthenticationInvalid).ConfigureAwait(false);
                Refused(context, request);
                return;
            }

            auth.Dispose();
            await next(context).ConfigureAwait(false);
            if (!context.Response.HasStarted && context.Response.StatusCode >= 400)
            {
                var status = context.Response.StatusCode;
                await ApiError.WriteAsync(context, status, status == StatusCodes.Status405MethodNotAllowed
                    ? ApiError.MethodNotAllowed : ApiError.ResourceDoesNotExist).ConfigureAwait(false);
            }

            span.Activity?.SetTag("http.response.status_code", context.Response.StatusCode);
            if (context.Response.StatusCode >= 400)
            {
                Refused(context, request);
            }
        }
        catch (BadHttpRequestException e)
        {
            // The client's fault, reported by the server while the body was read: its status, one log line, no stack trace.
            GatewayLog.BadRequest(logger, context.Request.Method, context.Request.Path, e.StatusCode, request.Id, e.Message);
            if (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
            {
                context.Response.Clear();
                context.Response.Headers["X-Request-ID"] = request.Id;
                await ApiError.WriteAsync(context, e.StatusCode, MessageFor(e)).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (Controller.Storage.StorageFull.IsCause(e) && !context.Response.HasStarted)
        {
            // A full disk is the operator's to fix, not a bug: say so (507), without a stack trace in the log.
            GatewayLog.StorageFull(logger, context.Request.Method, context.Request.Path, request.Id);
            context.Response.Clear();
            context.Response.Headers["X-Request-ID"] = request.Id;
            await ApiError.WriteAsync(context, StatusCodes.Status507InsufficientStorage, Controller.Storage.StorageFull.Message).ConfigureAwait(false);
        }
        catch (Exception e) when (!context.RequestAborted.IsCancellationRequested)
        {
            GatewayLog.Failed(logger, context.Request.Method, context.Request.Path, request.Id, e);
            if (!context.Response.HasStarted)
            {
                context.Response.Clear();
                context.Response.Headers["X-Request-ID"] = request.Id;
                await ApiError.WriteAsync(context, StatusCodes.Status500InternalServerError, ApiError.InternalError).ConfigureAwait(false);
            }
        }
    }

    /// <summary>What to tell the client, in Carapace's words (the server's own name options it cannot set).</summary>
    private string MessageFor(BadHttpRequestException e) => e.StatusCode switch
    {
        StatusCodes.Status408RequestTimeout => string.Create(CultureInfo.InvariantCulture,
            $"The request body arrived too slowly: less than {options.MinRequestBodyBytesPerSecond} bytes per second after {options.MinRequestBodyGracePeriod.TotalSeconds} s; send the body without pausing."),
        StatusCodes.Status413PayloadTooLarge => ApiError.TooLarge(options.MaxRequestBytes),
        StatusCodes.Status400BadRequest => "The request content was malformed: " + e.Message,
        _ => e.Message,
    };

    private void Refused(HttpContext context, GatewayRequest request) =>
        GatewayLog.Refused(logger, context.Request.Method, context.Request.Path, context.Response.StatusCode, request.Id);
}
