namespace Carapace.Client;

/// <summary>How a <see cref="CarapaceClient"/> works besides its profile.</summary>
public sealed class CarapaceClientOptions
{
    /// <summary>
    /// The folder with the enclave runtime files (Carapace.Enclave.dll and the assemblies it loads) whose identity
    /// enters every measurement. Default: this program's own folder, which ships them.
    /// </summary>
    public string RuntimeDirectory { get; init; } = AppContext.BaseDirectory;

    /// <summary>How long one gateway request may take.</summary>
    public TimeSpan GatewayTimeout { get; init; } = Gateway.GatewayClientOptions.DefaultTimeout;

    /// <summary>How long a blocking invocation waits for its result when the gateway's own blocking wait ran out.</summary>
    public TimeSpan ResultWait { get; init; } = TimeSpan.FromMinutes(5);
}
