namespace Carapace.Functions.Images;

/// <summary>What is wrong with the public structure of an image (see <see cref="ImageFormatException"/>).</summary>
public enum ImageFormatErrorKind
{
    /// <summary>The bytes do not start with the magic "CRPI": not a Carapace file-system image.</summary>
    BadMagic,

    /// <summary>The image declares a format version this build does not read.</summary>
    UnsupportedVersion,

    /// <summary>The image ends before the length its header declares (or inside the header).</summary>
    Truncated,

    /// <summary>A header field is out of range or inconsistent, a reserved byte is not zero, or data follows the image's declared end.</summary>
    Malformed,
}
