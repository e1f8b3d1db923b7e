using System.Globalization;
using System.Text.Json.Nodes;

namespace Carapace.Gateway;

/// <summary>
/// The body of <c>GET /api/v1/carapace/info</c>:
/// <c>{"namespace", "version", "invocations", "kms": {"url", "measurement", "quotingKey", "health": {…}}, "stemCells": {…}}</c>.
/// <c>kms.health</c> is <c>{"state": "up"|"restarting"|"stopped", "since", "restarts", "lastError", "retryAfter"}</c>
/// (times ISO 8601 UTC, <c>retryAfter</c> in whole seconds or null); <c>stemCells</c> is <c>{"target", "ready", "startFailures"}</c>.
/// Both appear only when the platform reports them. Nothing in it is secret.
/// </summary>
internal static class PlatformInfo
{
    public static JsonObject Build(string? ns, bool invocations, KmsAdvertisement? kms, PlatformHealth? health, TimeProvider time)
    {
        var info = new JsonObject
        {
            ["namespace"] = ns,
            ["version"] = typeof(GatewayHost).Assembly.GetName().Version?.ToString(),
            ["invocations"] = invocations,
        };
        var advertised = health?.Kms?.Advertisement ?? kms;
        if (advertised is not null)
        {
            var kmsJson = new JsonObject
            {
                ["url"] = advertised.Url.AbsoluteUri,
                ["measurement"] = advertised.Measurement,
                ["quotingKey"] = Convert.ToBase64String(advertised.QuotingKey.Span),
            };
            if (health?.Kms is { } report)
            {
                kmsJson["health"] = new JsonObject
                {
                    ["state"] = StateName(report.State),
                    ["since"] = Iso(report.Since),
                    ["sinceSeconds"] = Math.Max(0, (long)(time.GetUtcNow() - report.Since).TotalSeconds),
                    ["restarts"] = report.Restarts,
                    ["lastError"] = report.LastError,
                    ["retryAfter"] = report.RetryAfter is { } wait ? (long)Math.Ceiling(wait.TotalSeconds) : null,
                };
            }

            info["kms"] = kmsJson;
        }

        if (health?.StemCells is { } cells)
        {
            info["stemCells"] = new JsonObject
            {
                ["target"] = cells.Target,
                ["ready"] = cells.Ready,
                ["startFailures"] = cells.StartFailures,
            };
        }

        return info;
    }

    /// <summary>The wire name of a state: <c>up</c>, <c>restarting</c>, <c>stopped</c>.</summary>
    public static string StateName(KmsState state) => state switch
    {
        KmsState.Up => "up",
        KmsState.Restarting => "restarting",
        _ => "stopped",
    };

    private static string Iso(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
