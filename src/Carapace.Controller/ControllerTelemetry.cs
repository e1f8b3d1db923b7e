using Carapace.Protocol.Telemetry;

namespace Carapace.Controller;

/// <summary>
/// The controller's spans and metrics (source and meter <see cref="Name"/>): <c>carapace.controller.admission</c> (waiting
/// for a slot of the namespace), <c>record</c> (the pending activation and its step claim written), <c>step</c> (one step of
/// the chain, tagged <c>carapace.step</c>, around the worker's spans) and <c>finish</c> (the step's or activation's outcome
/// written). Metadata only: the controller never holds plaintext or keys.
/// </summary>
public static class ControllerTelemetry
{
    /// <summary>The activity source and meter name.</summary>
    public const string Name = "Carapace.Controller";

    /// <summary>The controller's instruments.</summary>
    public static StageTelemetry Stages { get; } = new(Name, "carapace.controller");
}
