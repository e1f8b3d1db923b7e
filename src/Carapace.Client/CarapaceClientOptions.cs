namespace Carapace.Client;

/// <summary>How a <see cref="CarapaceClient"/> works besides its profile.</summary>
public sealed class CarapaceClientOptions
{
    /// <summary>
    /// The reference-values file whose runtime identity enters every measurement this client computes (deploy, policy,
    /// verification). Null: <see cref="Functions.ReferenceValues.Resolve(string?)"/> — the <c>CARAPACE_REFERENCE_VALUES</c>
    /// environment variable, else <c>enclave/reference-values.json</c> beside this program, written by the build.
    /// </summary>
    public string? ReferenceValuesPath { get; init; }

    /// <summary>How long one gateway request may take.</summary>
    public TimeSpan GatewayTimeout { get; init; } = Gateway.GatewayClientOptions.DefaultTimeout;

    /// <summary>How long a blocking invocation waits for its result when the gateway's own blocking wait ran out.</summary>
    public TimeSpan ResultWait { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Where chain keys from the KMS are kept between runs, encrypted (see <see cref="Invocation.ChainKeyCache"/>); null
    /// (the default for library users) keeps them in memory for this client's lifetime only. The <c>carapace</c>
    /// command uses <c>keycache/</c> of its data directory.
    /// </summary>
    public Invocation.ChainKeyCache? KeyCache { get; init; }
}
