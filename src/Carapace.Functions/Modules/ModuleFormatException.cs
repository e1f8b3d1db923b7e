namespace Carapace.Functions.Modules;

/// <summary>
/// The bytes are not a WebAssembly module <see cref="ModuleInterface.Parse"/> can read: malformed, truncated, over one
/// of its bounds, or using an encoding it does not know. The only exception <see cref="ModuleInterface.Parse"/> throws.
/// </summary>
public sealed class ModuleFormatException : Exception
{
    /// <summary>A failure at byte <paramref name="offset"/> of the module.</summary>
    public ModuleFormatException(string message, long offset)
        : base($"{message} (at byte {offset})")
    {
        Offset = offset;
    }

    /// <summary>Where in the module the problem was found.</summary>
    public long Offset { get; }
}
