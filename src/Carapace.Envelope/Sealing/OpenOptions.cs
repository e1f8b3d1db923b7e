using Carapace.Envelope.Replay;

namespace Carapace.Envelope.Sealing;

/// <summary>Limits and checks applied while opening an envelope.</summary>
public sealed class OpenOptions
{
    internal static readonly OpenOptions Default = new();

    /// <summary>Largest payload accepted; a larger one fails with <see cref="EnvelopeErrorKind.TooLarge"/> before any byte past the limit is released.</summary>
    public long MaxPayloadBytes { get; init; } = long.MaxValue;

    /// <summary>When set, the request id is recorded here once the first chunk authenticates (and the record withdrawn if the envelope then fails to open), and a request id seen before on the same edge fails with <see cref="EnvelopeErrorKind.Replay"/>.</summary>
    public ReplayGuard? ReplayGuard { get; init; }
}
