namespace Carapace.Gateway.Web;

/// <summary>
/// What the web route answers for an activation's result: a status, the headers the result set, the content type and
/// the body; or, when the result does not fit the requested extension, an <see cref="Error"/> for OpenWhisk's error body.
/// </summary>
internal sealed record WebReply
{
    public required int Status { get; init; }

    /// <summary>Headers from the result (never <c>Content-Type</c>, which is <see cref="ContentType"/>).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];

    /// <summary>The body's content type, or null for an empty body.</summary>
    public string? ContentType { get; init; }

    public byte[] Body { get; init; } = [];

    /// <summary>The error message, when this reply is a refusal (written as <c>{"error", "code"}</c> with <see cref="Status"/>).</summary>
    public string? Error { get; init; }

    public static WebReply Failure(int status, string message) => new() { Status = status, Error = message };
}
