namespace Carapace.Enclave.Tests.FileSystem.Image;

/// <summary>
/// Byte offsets in an image, written out from docs/image.md independently of the code under test:
/// header (96) ‖ leaf table (16 per block) ‖ slots (4096 + 16 per block).
/// </summary>
internal static class ImageLayoutOffsets
{
    public const int SlotSize = 4096 + 16;

    public static long Leaf(long slot) => 96 + (slot * 16);

    public static long Slot(long blocks, long slot) => 96 + (blocks * 16) + (slot * SlotSize);
}
