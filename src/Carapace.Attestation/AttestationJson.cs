using System.Globalization;
using System.Text.Json;

namespace Carapace.Attestation;

/// <summary>
/// Writes an <see cref="AttestationResult"/> as JSON: <c>kind</c>, <c>verified</c>, <c>tcbStatus</c>, the claims by
/// their vendor names in lower case (byte strings as lower-case hex, groups such as <c>pcrs</c> as objects), and on
/// rejection a <c>failure</c> with <c>reason</c> and <c>message</c>.
/// </summary>
public static class AttestationJson
{
    /// <summary>The result as an indented JSON document.</summary>
    public static string Serialize(AttestationResult result, bool indented = true)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = indented }))
        {
            Write(writer, result);
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Writes the result as one JSON object.</summary>
    public static void Write(Utf8JsonWriter writer, AttestationResult result)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(result);
        writer.WriteStartObject();
        writer.WriteString("kind", EvidenceKinds.Name(result.Kind));
        writer.WriteBoolean("verified", result.Verified);
        if (result.Failure is { } failure)
        {
            writer.WriteStartObject("failure");
            writer.WriteString("reason", failure.Reason.ToString());
            writer.WriteString("message", failure.Message);
            writer.WriteEndObject();
            writer.WriteEndObject();
            return;
        }

        writer.WriteBoolean("insecure", result.Insecure);
        writer.WriteBoolean("debug", result.Debug);
        writer.WriteString("tcbStatus", result.TcbStatus.ToString());
        writer.WriteStartArray("advisories");
        foreach (var advisory in result.Advisories)
        {
            writer.WriteStringValue(advisory);
        }

        writer.WriteEndArray();
        if (result.ValidFrom is { } from)
        {
            writer.WriteString("validFrom", from.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
        }

        if (result.ValidUntil is { } until)
        {
            writer.WriteString("validUntil", until.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
        }

        var written = new HashSet<string>(StringComparer.Ordinal);
        foreach (var claim in result.Claims)
        {
            if (written.Add(claim.Name))
            {
                WriteClaim(writer, claim);
            }
        }

        if (!written.Contains("reportData"))
        {
            writer.WriteString("reportData", Convert.ToHexStringLower(result.ReportData.Span));
        }

        if (result.Inner is { } inner)
        {
            writer.WritePropertyName("evidence");
            Write(writer, inner);
        }

        writer.WriteEndObject();
    }

    private static void WriteClaim(Utf8JsonWriter writer, Claim claim)
    {
        if (claim.Items is { } items)
        {
            writer.WriteStartObject(claim.Name);
            foreach (var item in items)
            {
                WriteClaim(writer, item);
            }

            writer.WriteEndObject();
        }
        else if (claim.Number is { } number)
        {
            writer.WriteNumber(claim.Name, number);
        }
        else
        {
            writer.WriteString(claim.Name, claim.Display);
        }
    }
}
