using System.CommandLine;
using System.Globalization;
using Carapace.Attestation;

namespace Carapace.Cli.Attestation;

/// <summary>The options of <c>attest verify</c> whose values are checked while parsing (a bad value is exit code 2).</summary>
internal static class VerifyOptionParsers
{
    private static readonly string[] _timeFormats =
    [
        "yyyy-MM-dd'T'HH:mm:ssK",
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK",
        "yyyy-MM-dd'T'HH:mmK",
        "yyyy-MM-dd",
    ];

    /// <summary><c>--kind</c>: a kind's short name, or <c>auto</c>; read the value with <see cref="KindOf"/>.</summary>
    public static Option<string> Kind()
    {
        var option = new Option<string>("--kind")
        {
            Description = "The evidence format: auto (recognise it from the bytes, the default), sgx, tdx, snp, nitro, ratls or sim.",
            HelpName = "KIND",
            DefaultValueFactory = _ => "auto",
        };
        option.Validators.Add(r =>
        {
            var token = r.GetValueOrDefault<string>();
            if (!string.Equals(token, "auto", StringComparison.OrdinalIgnoreCase) && !EvidenceKinds.TryParse(token, out _))
            {
                r.AddError($"--kind expects auto, sgx, tdx, snp, nitro, ratls or sim, not '{token}'");
            }
        });
        return option;
    }

    /// <summary>The kind a validated <c>--kind</c> value names; null for <c>auto</c>.</summary>
    public static EvidenceKind? KindOf(string value) => EvidenceKinds.TryParse(value, out var kind) ? kind : null;

    /// <summary><c>--at</c>: an ISO 8601 time; without a zone it is UTC.</summary>
    public static Option<DateTimeOffset?> At() => new("--at")
    {
        Description = "Verify as of this time (ISO 8601, e.g. 2025-07-01T00:00:00Z; no zone means UTC) instead of now: " +
            "every certificate, CRL and collateral item must be valid then.",
        HelpName = "ISO-TIME",
        CustomParser = r =>
        {
            var token = r.Tokens.Single().Value;
            if (TryParseTime(token, out var at))
            {
                return at;
            }

            r.AddError($"--at expects an ISO 8601 time such as 2025-07-01T00:00:00Z, not '{token}'");
            return null;
        },
    };

    /// <summary><c>--expect-report-data</c>: the exact bytes, as hex, the evidence must bind.</summary>
    public static Option<ReadOnlyMemory<byte>?> ExpectReportData() => new("--expect-report-data")
    {
        Description = "Reject the evidence unless it binds exactly these report data bytes (hex; 64 bytes for quotes and " +
            "reports, the user data for Nitro). Use it to check the key and nonce you expect.",
        HelpName = "HEX",
        CustomParser = r =>
        {
            var token = r.Tokens.Single().Value;
            if (token.Length > 0 && token.Length % 2 == 0 && token.All(char.IsAsciiHexDigit))
            {
                return Convert.FromHexString(token).AsMemory();
            }

            r.AddError($"--expect-report-data expects an even number of hex digits, not '{Shorten(token)}'");
            return null;
        },
    };

    /// <summary>Parses an ISO 8601 date or time; a value without a zone is UTC.</summary>
    public static bool TryParseTime(string text, out DateTimeOffset at) =>
        DateTimeOffset.TryParseExact(text, _timeFormats, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out at);

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
