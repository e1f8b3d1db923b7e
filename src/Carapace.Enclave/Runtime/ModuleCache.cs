using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;

namespace Carapace.Enclave.Runtime;

/// <summary>
/// Authenticates precompiled modules kept on the untrusted host disk. An artifact is
/// <c>"CRPC" ‖ version ‖ module hash[32] ‖ tag[32] ‖ serialized module</c>, where tag = HMAC-SHA256 under a key that
/// only enclaves of this runtime can derive, over the magic, version, module hash, runtime identity, engine
/// settings and the serialized bytes. Because Wasmtime will run the serialized bytes as native code, nothing is
/// deserialized before the tag verifies.
/// </summary>
internal sealed class ModuleCache : IDisposable
{
    private const byte Version = 1;
    private const int HeaderLength = 4 + 1 + 32 + 32;
    private static ReadOnlySpan<byte> Magic => "CRPC"u8;

    private readonly byte[] _key;
    private readonly byte[] _context;

    public ModuleCache(byte[] key, ReadOnlySpan<byte> runtimeIdentity, string engineDescription)
    {
        _key = key;
        var description = Encoding.UTF8.GetBytes(engineDescription);
        _context = [.. runtimeIdentity, .. description];
    }

    public byte[] Wrap(ReadOnlySpan<byte> moduleHash, ReadOnlySpan<byte> serialized)
    {
        var artifact = new byte[HeaderLength + serialized.Length];
        Magic.CopyTo(artifact);
        artifact[4] = Version;
        moduleHash.CopyTo(artifact.AsSpan(5));
        serialized.CopyTo(artifact.AsSpan(HeaderLength));
        Tag(moduleHash, serialized, artifact.AsSpan(37, 32));
        return artifact;
    }

    /// <summary>Returns the serialized module if <paramref name="artifact"/> is an authentic artifact for <paramref name="moduleHash"/>.</summary>
    public bool TryUnwrap(ReadOnlyMemory<byte> artifact, ReadOnlySpan<byte> moduleHash, out ReadOnlyMemory<byte> serialized, [NotNullWhen(false)] out string? problem)
    {
        serialized = default;
        var a = artifact.Span;
        if (a.Length < HeaderLength || !a.StartsWith(Magic) || a[4] != Version)
        {
            problem = "the cached module is not a Carapace cache artifact of this version";
            return false;
        }

        if (!CryptographicOperations.FixedTimeEquals(a.Slice(5, 32), moduleHash))
        {
            problem = "the cached module belongs to another module";
            return false;
        }

        Span<byte> expected = stackalloc byte[32];
        Tag(moduleHash, a[HeaderLength..], expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, a.Slice(37, 32)))
        {
            problem = "the cached module failed authentication: it was modified, or made by another runtime or machine";
            return false;
        }

        serialized = artifact[HeaderLength..];
        problem = null;
        return true;
    }

    public void Dispose() => CryptographicOperations.ZeroMemory(_key);

    private void Tag(ReadOnlySpan<byte> moduleHash, ReadOnlySpan<byte> serialized, Span<byte> tag)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key);
        hmac.AppendData(Magic);
        Span<byte> version = [Version];
        hmac.AppendData(version);
        hmac.AppendData(moduleHash);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, _context.Length);
        hmac.AppendData(length);
        hmac.AppendData(_context);
        hmac.AppendData(serialized);
        hmac.GetHashAndReset(tag);
    }
}
