using System.Globalization;
using System.Text;
using Carapace.Attestation;

namespace Carapace.Cli.Attestation;

/// <summary>The human-readable form of a verified <see cref="AttestationResult"/>: a summary, then every claim as <c>name: value</c>.</summary>
internal static class ResultText
{
    public static string Format(AttestationResult result)
    {
        var text = new StringBuilder();
        Line(text, "kind", EvidenceKinds.Name(result.Kind));
        Line(text, "verified", result.Verified ? "yes" : "no");
        if (result.Insecure)
        {
            Line(text, "insecure", "yes (simulation: no hardware protection)");
        }

        Line(text, "debug", result.Debug ? "yes (debugging allowed: memory is not protected)" : "no");
        Line(text, "measurement", Convert.ToHexStringLower(result.Measurement.Span));
        Line(text, "tcbStatus", result.TcbStatus == TcbStatus.Unknown ? "Unknown (not evaluated: no collateral)" : result.TcbStatus.ToString());
        Line(text, "advisories", result.Advisories.Count == 0 ? "none" : string.Join(", ", result.Advisories));
        Line(text, "validFrom", Time(result.ValidFrom));
        Line(text, "validUntil", Time(result.ValidUntil));
        text.Append("claims:\n");
        var written = new HashSet<string>(StringComparer.Ordinal);
        foreach (var claim in result.Claims)
        {
            if (written.Add(claim.Name))
            {
                Claim(text, claim, "  ");
            }
        }

        if (!written.Contains("reportData"))
        {
            text.Append(CultureInfo.InvariantCulture, $"  reportData: {Convert.ToHexStringLower(result.ReportData.Span)}\n");
        }

        return text.ToString();
    }

    private static void Line(StringBuilder text, string name, string value) =>
        text.Append(CultureInfo.InvariantCulture, $"{name + ":",-13}{value}\n");

    private static void Claim(StringBuilder text, Claim claim, string indent)
    {
        if (claim.Items is { } items)
        {
            text.Append(CultureInfo.InvariantCulture, $"{indent}{claim.Name}:\n");
            foreach (var item in items)
            {
                Claim(text, item, indent + "  ");
            }
        }
        else
        {
            text.Append(CultureInfo.InvariantCulture, $"{indent}{claim.Name}: {claim.Display}\n");
        }
    }

    private static string Time(DateTimeOffset? time) =>
        time is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "-";
}
