using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace Carapace.Controller.Activations;

/// <summary>An OpenWhisk activation id: 32 lower-case hex digits from 16 random bytes.</summary>
public readonly record struct ActivationId
{
    private readonly string? _value;

    private ActivationId(string value) => _value = value;

    /// <summary>A fresh random id.</summary>
    public static ActivationId New() => new(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)));

    /// <summary>Parses 32 hex digits (either case).</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out ActivationId id)
    {
        id = default;
        if (text is not { Length: 32 } || !text.All(char.IsAsciiHexDigit))
        {
            return false;
        }

        id = new ActivationId(text.ToLowerInvariant());
        return true;
    }

    /// <summary>The 32 lower-case hex digits.</summary>
    public override string ToString() => _value ?? new string('0', 32);
}
