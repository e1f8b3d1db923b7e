using System.Security.Cryptography;

namespace Carapace.Kms.Client.Secrets;

/// <summary>
/// A decrypted secret value, for handing to attested code only. Dispose it to zero the bytes; it never shows its value
/// in <see cref="ToString"/>.
/// </summary>
public sealed class SecretValue : IDisposable
{
    /// <summary>The largest secret value, in bytes: what the KMS stores and releases, and what clients may upload.</summary>
    public const int MaxBytes = 64 * 1024;

    private readonly byte[] _value;
    private bool _disposed;

    internal SecretValue(string ns, string name, long version, byte[] value)
    {
        Namespace = ns;
        Name = name;
        Version = version;
        _value = value;
    }

    /// <summary>The namespace it belongs to.</summary>
    public string Namespace { get; }

    /// <summary>The secret's name.</summary>
    public string Name { get; }

    /// <summary>The version this value is.</summary>
    public long Version { get; }

    /// <summary>The value's length in bytes.</summary>
    public int Length => _value.Length;

    /// <summary>The value. Do not keep references past <see cref="Dispose"/>.</summary>
    public ReadOnlySpan<byte> Value
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _value;
        }
    }

    /// <summary>Zeroes the value.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            CryptographicOperations.ZeroMemory(_value);
            _disposed = true;
        }
    }

    /// <summary>Names the secret; never shows the value.</summary>
    public override string ToString() => $"secret {Namespace}/{Name} v{Version} ({_value.Length} bytes, value hidden)";
}
