namespace Carapace.Enclave.Wasi;

/// <summary>The guest memory's length as last measured (it only grows); shared by the <see cref="GuestMemory"/> views of one context.</summary>
internal sealed class MemoryLength
{
    public long Bytes { get; set; }
}
