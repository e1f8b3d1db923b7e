namespace Carapace.Envelope.Tests.Streaming;

/// <summary>
/// Tests that measure process-wide counters (allocated bytes) run alone: xunit runs this collection after the
/// parallel ones, with nothing else in flight.
/// </summary>
[CollectionDefinition(nameof(SerialCollection), DisableParallelization = true)]
public sealed class SerialCollection;
