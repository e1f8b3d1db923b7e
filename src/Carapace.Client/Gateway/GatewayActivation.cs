using System.Text.Json;

namespace Carapace.Client.Gateway;

/// <summary>
/// An activation record as the gateway returns it (OpenWhisk's shape). A pending one has no <see cref="End"/> and no
/// <see cref="Response"/>; lists without <c>docs</c> carry neither response nor logs. <see cref="Json"/> holds the
/// whole document.
/// </summary>
public sealed record GatewayActivation
{
    /// <summary>The activation id (32 hexadecimal digits).</summary>
    public required string ActivationId { get; init; }

    /// <summary>The namespace of the action.</summary>
    public required string Namespace { get; init; }

    /// <summary>The action's name.</summary>
    public required string Name { get; init; }

    /// <summary>The action version that ran.</summary>
    public required string Version { get; init; }

    /// <summary>Who invoked it.</summary>
    public string? Subject { get; init; }

    /// <summary>When it started.</summary>
    public DateTimeOffset Start { get; init; }

    /// <summary>When it ended; null while pending.</summary>
    public DateTimeOffset? End { get; init; }

    /// <summary>Its duration in milliseconds; null while pending.</summary>
    public long? Duration { get; init; }

    /// <summary>OpenWhisk's numeric status (0 success, 1 application error, 2 developer error, 3 system error); null while pending.</summary>
    public int? StatusCode { get; init; }

    /// <summary>The outcome, when finished and included.</summary>
    public GatewayActivationResponse? Response { get; init; }

    /// <summary>The log lines of a plaintext activation (a confidential one's logs are sealed, see <see cref="SealedLogs"/>).</summary>
    public IReadOnlyList<string> Logs { get; init; } = [];

    /// <summary>Size and SHA-256 of a confidential activation's sealed logs, when it has logs.</summary>
    public SealedLogs? SealedLogs { get; init; }

    /// <summary>The document as received.</summary>
    public JsonElement Json { get; init; }
}
