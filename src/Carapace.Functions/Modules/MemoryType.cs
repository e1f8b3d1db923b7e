namespace Carapace.Functions.Modules;

/// <summary>The declared type of a linear memory.</summary>
/// <param name="MinimumPages">The initial size, in pages.</param>
/// <param name="MaximumPages">The declared maximum, in pages; null when none is declared.</param>
/// <param name="Is64Bit">True for a 64-bit (memory64) memory.</param>
/// <param name="IsShared">True for a shared (threads) memory.</param>
/// <param name="PageSizeLog2">log2 of the page size: 16 (64 KiB) unless the module declares a custom page size.</param>
public sealed record MemoryType(ulong MinimumPages, ulong? MaximumPages, bool Is64Bit, bool IsShared, int PageSizeLog2)
{
    /// <summary>The initial size in bytes (saturating at <see cref="ulong.MaxValue"/>).</summary>
    public ulong MinimumBytes => PageSizeLog2 >= 64 || MinimumPages > ulong.MaxValue >> PageSizeLog2 ? ulong.MaxValue : MinimumPages << PageSizeLog2;
}
