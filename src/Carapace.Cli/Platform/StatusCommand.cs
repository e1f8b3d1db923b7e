using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Carapace.Cli.Infrastructure;
using Carapace.Client.Gateway;
using Carapace.Client.Profiles;

namespace Carapace.Cli.Platform;

/// <summary>
/// <c>carapace status</c>: reads the platform's profile (<c>platform.json</c>), asks its gateway for
/// <c>/api/v1/carapace/info</c> and prints the health of the gateway, the KMS and the stem cells. Exit 0 when all is
/// up, 1 when the platform answers but is degraded (its KMS is restarting or stopped) or refuses the credential, 3 when
/// there is no profile or the gateway cannot be reached.
/// </summary>
internal static class StatusCommand
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    public static Command Build()
    {
        var connection = new PlatformConnection();
        var json = new Option<bool>("--json") { Description = "Print the status as one JSON object (also when the gateway cannot be reached)." };
        var command = new Command("status",
            "Show whether the platform is healthy: its gateway, its KMS (up, or restarting since when, how often it was restarted, its last error) " +
            "and its stem cells. Exit 0 healthy, 1 degraded, 3 unreachable.")
        {
            json,
        };
        connection.AddTo(command);
        Examples.Set(command, "carapace status", "carapace status --data-dir /tmp/carapace --json", "carapace status || echo 'not healthy'");
        command.SetHandler(async (parse, cancel) =>
        {
            PlatformProfile profile;
            try
            {
                profile = connection.Profile(parse);
            }
            catch (PlatformProfileException e)
            {
                return Report(parse.GetValue(json), null, null, "no platform: " + e.Message, ExitCodes.IoError);
            }

            GatewayInfo info;
            try
            {
                using var gateway = GatewayClient.Create(profile, s_timeout);
                info = await gateway.GetInfoAsync(cancel).ConfigureAwait(false);
            }
            catch (GatewayException e) when (e.Failure is GatewayFailure.Unreachable or GatewayFailure.TimedOut)
            {
                return Report(parse.GetValue(json), profile, null, e.Message, ExitCodes.IoError);
            }
            catch (GatewayException e)
            {
                return Report(parse.GetValue(json), profile, null, e.Message, ExitCodes.Rejected);
            }
            catch (PlatformProfileException e)
            {
                return Report(parse.GetValue(json), profile, null, e.Message, ExitCodes.IoError);
            }

            var healthy = info.KmsHealth is null or { IsUp: true };
            return Report(parse.GetValue(json), profile, info, null, healthy ? ExitCodes.Ok : ExitCodes.Rejected);
        });
        return command;
    }

    private static int Report(bool json, PlatformProfile? profile, GatewayInfo? info, string? error, int exitCode)
    {
        if (json)
        {
            WriteJson(profile, info, error, exitCode);
        }
        else
        {
            WriteText(profile, info, error);
        }

        return exitCode;
    }

    private static void WriteText(PlatformProfile? profile, GatewayInfo? info, string? error)
    {
        var gateway = profile?.Gateway.ToString() ?? "-";
        if (info is null)
        {
            Console.Out.WriteLine($"gateway     {gateway}  DOWN: {error}");
            return;
        }

        Console.Out.WriteLine($"gateway     {gateway}  up (namespace {info.Namespace}{(info.Version is null ? "" : ", version " + info.Version)})");
        var url = info.Kms?.Url ?? "-";
        if (info.KmsHealth is not { } kms)
        {
            Console.Out.WriteLine($"KMS         {url}  (not supervised by this platform; health unknown)");
        }
        else
        {
            var since = kms.Since is { } at ? at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "?";
            var forHow = kms.SinceSeconds is { } seconds ? $" ({Duration(seconds)})" : "";
            var restarts = kms.Restarts == 1 ? "1 restart" : $"{kms.Restarts} restarts";
            var state = kms.IsUp ? "up" : kms.State.ToUpperInvariant();
            var line = $"KMS         {url}  {state} since {since}{forHow}, {restarts}";
            if (kms.LastError is { } last)
            {
                line += $"; last error: {last}";
            }

            if (!kms.IsUp && kms.RetryAfterSeconds is { } retry)
            {
                line += $"; new enclaves get 503 (retry after {retry} s), warm ones keep serving";
            }

            Console.Out.WriteLine(line);
        }

        if (info.StemCells is { } cells)
        {
            Console.Out.WriteLine($"stem cells  {cells.Ready} of {cells.Target} ready, {cells.StartFailures} start failure(s)");
        }
    }

    private static void WriteJson(PlatformProfile? profile, GatewayInfo? info, string? error, int exitCode)
    {
        using var stdout = Console.OpenStandardOutput();
        using (var w = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteBoolean("healthy", exitCode == ExitCodes.Ok);
            w.WriteStartObject("gateway");
            w.WriteString("url", profile?.Gateway.ToString());
            w.WriteBoolean("reachable", info is not null);
            if (info is not null)
            {
                w.WriteString("namespace", info.Namespace);
                w.WriteString("version", info.Version);
            }
            else
            {
                w.WriteString("error", error);
            }

            w.WriteEndObject();
            if (info?.Kms is { } kms)
            {
                w.WriteStartObject("kms");
                w.WriteString("url", kms.Url);
                w.WriteString("measurement", kms.Measurement);
                if (info.KmsHealth is { } health)
                {
                    w.WriteString("state", health.State);
                    if (health.Since is { } since)
                    {
                        w.WriteString("since", since);
                    }

                    w.WriteNumber("restarts", health.Restarts);
                    w.WriteString("lastError", health.LastError);
                    if (health.RetryAfterSeconds is { } retry)
                    {
                        w.WriteNumber("retryAfter", retry);
                    }
                    else
                    {
                        w.WriteNull("retryAfter");
                    }
                }
                else
                {
                    w.WriteString("state", "unknown");
                }

                w.WriteEndObject();
            }

            if (info?.StemCells is { } cells)
            {
                w.WriteStartObject("stemCells");
                w.WriteNumber("target", cells.Target);
                w.WriteNumber("ready", cells.Ready);
                w.WriteNumber("startFailures", cells.StartFailures);
                w.WriteEndObject();
            }

            w.WriteEndObject();
        }

        stdout.WriteByte((byte)'\n');
    }

    private static string Duration(long seconds) => seconds switch
    {
        < 120 => $"{seconds} s",
        < 7200 => $"{seconds / 60} min",
        _ => $"{seconds / 3600} h",
    };
}
