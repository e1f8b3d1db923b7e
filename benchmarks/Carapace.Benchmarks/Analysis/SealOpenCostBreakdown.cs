using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using Carapace.Benchmarks.Envelope;
using Carapace.Envelope.Format;
using Carapace.Envelope.Keys;
using Carapace.Envelope.Sealing;

namespace Carapace.Benchmarks.Analysis;

/// <summary>
/// The pieces a seal or an open is made of, measured one by one, to explain the gap between the envelope and raw
/// AES-GCM. Not a target; run with <c>--filter '*CostBreakdown*'</c>. (Names avoid "Envelope" so that
/// <c>--filter '*Envelope*'</c> runs only the target benchmarks.)
/// </summary>
[MemoryDiagnoser]
public class FixedCostBreakdown
{
    private static readonly byte[] s_label = Encoding.ASCII.GetBytes("carapace envelope v1 message key");
    private EdgeKey _edgeKey = null!;
    private byte[] _ikm = null!;
    private byte[] _salt = null!;
    private byte[] _info = null!;
    private byte[] _expandInfo = null!;
    private byte[] _okm = null!;
    private byte[] _aesKey = null!;
    private EnvelopeMetadata _metadata = null!;
    private EnvelopeHeader _header = null!;
    private byte[] _sealed = null!;
    private AesGcm _aes = null!;
    private byte[] _nonce = null!;
    private byte[] _tiny = null!;
    private byte[] _tag = null!;
    private byte[] _aad = null!;

    [GlobalSetup]
    public void Setup()
    {
        _aes = new AesGcm(RandomNumberGenerator.GetBytes(32), 16);
        _nonce = RandomNumberGenerator.GetBytes(MessageCipher.NonceSize);
        _tiny = new byte[16];
        _tag = new byte[16];
        _aad = RandomNumberGenerator.GetBytes(140);
        _edgeKey = BenchmarkData.NewEdgeKey();
        _ikm = RandomNumberGenerator.GetBytes(32);
        _salt = RandomNumberGenerator.GetBytes(EnvelopeHeader.SaltSize);
        _info = [.. s_label, .. RandomNumberGenerator.GetBytes(RequestId.Size)];
        _expandInfo = [.. s_label, .. _salt, .. RandomNumberGenerator.GetBytes(RequestId.Size)];
        _okm = new byte[39];
        _aesKey = RandomNumberGenerator.GetBytes(32);
        _metadata = new EnvelopeMetadata
        {
            RequestId = RequestId.New(),
            ChainId = BenchmarkData.ChainId,
            Step = 0,
            NextStep = 1,
            Function = string.Empty,
            KeyId = _edgeKey.Id,
            ContentType = "application/octet-stream",
        };
        _header = EnvelopeHeader.Create(_metadata, EnvelopeHeader.DefaultChunkSize, padded: false);
        _sealed = EnvelopeSealer.Seal(_edgeKey, new byte[16]);

        // The hand-rolled HKDF must give the same bytes as the library one, or its timing means nothing.
        Hkdf();
        var expected = _okm.ToArray();
        Array.Clear(_okm);
        HkdfByHmac();
        if (!expected.AsSpan().SequenceEqual(_okm))
        {
            throw new InvalidOperationException("HkdfByHmac does not match HKDF.DeriveKey");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _edgeKey.Dispose();
        _aes.Dispose();
    }

    /// <summary>
    /// Full HKDF-SHA256 (extract, then expand to a 32-byte key + 7-byte nonce prefix: three HMACs), the first
    /// derivation of format v1, kept for comparison with <see cref="HkdfExpand"/>.
    /// </summary>
    [Benchmark]
    public void Hkdf() => HKDF.DeriveKey(HashAlgorithmName.SHA256, _ikm, _okm, _salt, _info);

    /// <summary>
    /// The same 39 bytes by RFC 5869 spelled out with one-shot HMAC-SHA256 calls (extract + two expand blocks):
    /// what a hand-rolled HKDF would cost instead of <see cref="HKDF.DeriveKey(HashAlgorithmName, ReadOnlySpan{byte}, Span{byte}, ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>.
    /// </summary>
    [Benchmark]
    public void HkdfByHmac()
    {
        Span<byte> prk = stackalloc byte[32];
        HMACSHA256.HashData(_salt, _ikm, prk);
        Span<byte> block = stackalloc byte[32 + 48 + 1];
        _info.CopyTo(block);
        block[_info.Length] = 1;
        HMACSHA256.HashData(prk, block[..(_info.Length + 1)], _okm);
        _okm.AsSpan(0, 32).CopyTo(block);
        _info.CopyTo(block[32..]);
        block[32 + _info.Length] = 2;
        Span<byte> t2 = stackalloc byte[32];
        HMACSHA256.HashData(prk, block[..(32 + _info.Length + 1)], t2);
        t2[..7].CopyTo(_okm.AsSpan(32));
    }

    /// <summary>
    /// The derivation <see cref="MessageCipher"/> uses: HKDF-SHA256-Expand to 32 bytes with info = label ‖ salt ‖
    /// request id (one HMAC, the extract step skipped because edge keys are uniformly random).
    /// </summary>
    [Benchmark]
    public void HkdfExpand() => HKDF.Expand(HashAlgorithmName.SHA256, _ikm, _okm.AsSpan(0, 32), _expandInfo);

    /// <summary>One HMAC-SHA256 one-shot: the floor of any HMAC-based per-message key derivation.</summary>
    [Benchmark]
    public void OneHmac() => HMACSHA256.HashData(_ikm, _info, _okm.AsSpan(0, 32));

    /// <summary>One AES-GCM call on 16 bytes with header-sized AAD: the fixed cost of each AesGcm.Encrypt call.</summary>
    [Benchmark]
    public void AesGcmTinyCall() => _aes.Encrypt(_nonce, _okm.AsSpan(0, 16), _tiny, _tag, _aad);

    /// <summary>Building (and disposing) the per-message AesGcm: key schedule plus the native context.</summary>
    [Benchmark]
    public void AesGcmCtorDispose()
    {
        using var aes = new AesGcm(_aesKey, 16);
    }

    /// <summary>A fresh request id (one CSPRNG call).</summary>
    [Benchmark]
    public RequestId NewRequestId() => RequestId.New();

    /// <summary>Header creation: canonical CBOR encoding of the metadata, salt from the CSPRNG, copies.</summary>
    [Benchmark]
    public EnvelopeHeader HeaderCreate() => EnvelopeHeader.Create(_metadata, EnvelopeHeader.DefaultChunkSize, padded: false);

    /// <summary>Header parsing: copy of the header bytes plus strict CBOR decoding.</summary>
    [Benchmark]
    public EnvelopeHeader HeaderParse() => EnvelopeHeader.Parse(_sealed);

    /// <summary>The per-message cipher: HKDF-Expand and the AesGcm construction.</summary>
    [Benchmark]
    public void MessageCipherCtorDispose()
    {
        using var cipher = new MessageCipher(_edgeKey, _header);
    }

    /// <summary>What opening adds to the cipher: the key-id check and the options.</summary>
    [Benchmark]
    public void ChunkVerifierCtorDispose()
    {
        using var verifier = new ChunkVerifier(_edgeKey, _header, new OpenOptions());
    }

    /// <summary>A whole seal of an empty payload: the fixed cost of one message.</summary>
    [Benchmark]
    public byte[] SealEmpty() => EnvelopeSealer.Seal(_edgeKey, []);

    /// <summary>A whole open of a 16-byte payload: the fixed cost of one message.</summary>
    [Benchmark]
    public int OpenTiny()
    {
        using var opened = EnvelopeOpener.Open(_edgeKey, _sealed);
        return opened.Payload.Length;
    }
}

/// <summary>
/// The per-byte pieces: what the envelope does to every payload byte besides AES-GCM (allocating, copying, zeroing),
/// and the AES-GCM work itself cut into 64 KiB chunks with the header as associated data.
/// </summary>
[MemoryDiagnoser]
public class PerByteCostBreakdown
{
    private const int ChunkSize = EnvelopeHeader.DefaultChunkSize;
    private byte[] _payload = null!;
    private byte[] _buffer = null!;
    private byte[] _pooledSized = null!;
    private byte[] _aad = null!;
    private byte[] _nonce = null!;
    private byte[] _sealedChunks = null!;
    private AesGcm _aes = null!;

    [Params(65536, 1048576)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _payload = BenchmarkData.Payload(Size);
        _buffer = new byte[Size + 4096];
        _pooledSized = new byte[(int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)(ChunkSize + 5))];
        _aad = RandomNumberGenerator.GetBytes(140);
        _nonce = RandomNumberGenerator.GetBytes(MessageCipher.NonceSize);
        _aes = new AesGcm(RandomNumberGenerator.GetBytes(32), 16);
        var chunks = (Size + ChunkSize - 1) / ChunkSize;
        _sealedChunks = new byte[Size + (chunks * 16)];
        SealChunked();
    }

    [GlobalCleanup]
    public void Cleanup() => _aes.Dispose();

    /// <summary>The AES-GCM work of an envelope without anything else: 64 KiB chunks, header-sized AAD, one AesGcm.</summary>
    [Benchmark(Baseline = true)]
    public void SealChunked()
    {
        var pos = 0;
        for (var off = 0; off < Size; off += ChunkSize)
        {
            var n = Math.Min(ChunkSize, Size - off);
            _aes.Encrypt(_nonce, _payload.AsSpan(off, n), _sealedChunks.AsSpan(pos, n), _sealedChunks.AsSpan(pos + n, 16), _aad);
            pos += n + 16;
        }
    }

    /// <summary>Decrypting the same chunks.</summary>
    [Benchmark]
    public void OpenChunked()
    {
        var pos = 0;
        for (var off = 0; off < Size; off += ChunkSize)
        {
            var n = Math.Min(ChunkSize, Size - off);
            _aes.Decrypt(_nonce, _sealedChunks.AsSpan(pos, n), _sealedChunks.AsSpan(pos + n, 16), _buffer.AsSpan(off, n), _aad);
            pos += n + 16;
        }
    }

    /// <summary>The output array of Seal / Open: zeroed by the runtime, on the large object heap from 85,000 bytes.</summary>
    [Benchmark]
    public byte[] AllocateZeroed() => new byte[Size + 200];

    /// <summary>The same array without the runtime zeroing it (what GC.AllocateUninitializedArray would give).</summary>
    [Benchmark]
    public byte[] AllocateUninitialized() => GC.AllocateUninitializedArray<byte>(Size + 200);

    /// <summary>One pass over the payload: the copy from the source stream into the chunk buffer.</summary>
    [Benchmark]
    public void Copy() => _payload.CopyTo(_buffer, 0);

    /// <summary>Zeroing the payload (OpenedEnvelope.Dispose, or ZeroMemory of each released chunk).</summary>
    [Benchmark]
    public void ZeroPayload() => CryptographicOperations.ZeroMemory(_buffer.AsSpan(0, Size));

    /// <summary>
    /// ArrayPool.Return(clearArray: true) clears the whole rented array: 128 KiB for a 64 KiB chunk buffer
    /// (64 KiB + 5 rounds up to the next power of two), once per streaming message.
    /// </summary>
    [Benchmark]
    public void ClearPooledChunkBuffer() => Array.Clear(_pooledSized);

    /// <summary>Rent and return (without clearing) the two chunk buffers of a streaming seal or open.</summary>
    [Benchmark]
    public void RentReturnTwoChunkBuffers()
    {
        var a = ArrayPool<byte>.Shared.Rent(ChunkSize + 5);
        var b = ArrayPool<byte>.Shared.Rent(ChunkSize + 20);
        ArrayPool<byte>.Shared.Return(b);
        ArrayPool<byte>.Shared.Return(a);
    }
}
