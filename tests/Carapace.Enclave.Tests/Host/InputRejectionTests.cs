using Carapace.Enclave.Host;
using Carapace.Envelope;
using Carapace.Protocol;

namespace Carapace.Enclave.Tests.Host;

/// <summary>
/// The typed reason an enclave gives for an input it refused. Only a replay means it had accepted the request id; every
/// other failure to open leaves the request id unused (the replay guard withdraws what it recorded), and the host may
/// let a genuine copy run.
/// </summary>
public sealed class InputRejectionTests
{
    [Theory]
    [InlineData(EnvelopeErrorKind.Malformed, InputRejectionReason.Inauthentic)]
    [InlineData(EnvelopeErrorKind.UnsupportedVersion, InputRejectionReason.Inauthentic)]
    [InlineData(EnvelopeErrorKind.AuthenticationFailed, InputRejectionReason.Inauthentic)]
    [InlineData(EnvelopeErrorKind.Truncated, InputRejectionReason.Inauthentic)]
    [InlineData(EnvelopeErrorKind.WrongKey, InputRejectionReason.KeyUnavailable)]
    [InlineData(EnvelopeErrorKind.TooLarge, InputRejectionReason.TooLarge)]
    [InlineData(EnvelopeErrorKind.Replay, InputRejectionReason.Replay)]
    public void Each_way_an_input_fails_to_open_has_its_reason(EnvelopeErrorKind kind, string reason) =>
        Assert.Equal(reason, LoadedFunction.ReasonOf(kind));

    [Fact]
    public void Every_envelope_error_maps_to_a_reason_and_only_a_replay_uses_up_the_request_id()
    {
        foreach (var kind in Enum.GetValues<EnvelopeErrorKind>())
        {
            var reason = LoadedFunction.ReasonOf(kind);
            Assert.Equal(kind != EnvelopeErrorKind.Replay, InputRejectionReason.LeavesRequestIdUnused(reason));
        }
    }
}
