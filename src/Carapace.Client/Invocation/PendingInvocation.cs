using Carapace.Envelope.Format;

namespace Carapace.Client.Invocation;

/// <summary>
/// An invocation the platform accepted but that has not been waited for. Keep it to fetch the result with
/// <see cref="CarapaceClient.GetResultAsync(PendingInvocation, CancellationToken)"/>: it remembers the request id and
/// the hash of the sealed input, so the receipts can be checked to start from this very input.
/// </summary>
/// <param name="Action">The action (and chain) invoked.</param>
/// <param name="ActivationId">The activation id.</param>
/// <param name="RequestId">The request id the input was sealed with.</param>
/// <param name="SealedInputSha256">SHA-256 of the sealed input envelope sent.</param>
public sealed record PendingInvocation(string Action, string ActivationId, RequestId RequestId, ReadOnlyMemory<byte> SealedInputSha256);
