using System.Text;

namespace Carapace.Client.Gateway;

/// <summary>OpenWhisk's JavaScript kinds as the client sends and reads them: <c>nodejs:default</c> and <c>nodejs:N</c>.</summary>
public static class JavaScriptKind
{
    /// <summary>The kind without a version, which <c>carapace deploy NAME FILE.js</c> uses.</summary>
    public const string Default = "nodejs:default";

    /// <summary>The entry point of an action that names none.</summary>
    public const string DefaultMain = "main";

    private const string Prefix = "nodejs:";

    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Whether <paramref name="kind"/> is <c>nodejs:default</c> or <c>nodejs:N</c> (N one to three digits), the kinds the platform accepts.</summary>
    public static bool Is(string? kind) =>
        kind is not null && kind.StartsWith(Prefix, StringComparison.Ordinal)
        && (kind == Default || (kind.Length is > 7 and <= 10 && !kind.AsSpan(Prefix.Length).ContainsAnyExceptInRange('0', '9')));

    /// <summary>The source text of <paramref name="code"/> (UTF-8, without a byte-order mark).</summary>
    /// <exception cref="ArgumentException">The bytes are not UTF-8 text.</exception>
    public static string Source(ReadOnlySpan<byte> code)
    {
        try
        {
            return s_strictUtf8.GetString(code);
        }
        catch (DecoderFallbackException e)
        {
            throw new ArgumentException("the JavaScript source is not UTF-8 text", nameof(code), e);
        }
    }
}
