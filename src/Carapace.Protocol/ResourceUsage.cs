namespace Carapace.Protocol;

/// <summary>What one invocation used (S-FaaS-style accounting).</summary>
/// <param name="WallMicroseconds">Wall-clock time of the function run.</param>
/// <param name="Fuel">Fuel consumed (0 when fuel metering is off).</param>
/// <param name="MemoryBytes">Peak linear memory size.</param>
/// <param name="InstantiateMicroseconds">Time to instantiate the module for this invocation.</param>
public readonly record struct ResourceUsage(long WallMicroseconds, long Fuel, long MemoryBytes, long InstantiateMicroseconds);
