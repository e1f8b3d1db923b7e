using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Carapace.Envelope.Format;
using Carapace.Envelope.Keys;
using Carapace.Envelope.Sealing;

namespace Carapace.Benchmarks.Envelope;

/// <summary>
/// Sealing cost against the floor of one raw AES-256-GCM encryption of the whole payload. Targets: the envelope
/// reaches at least 0.9× raw AES-GCM throughput at 64 KiB and 1 MiB, and streaming allocates O(1) in the payload size.
/// </summary>
[MemoryDiagnoser]
public class EnvelopeSealBenchmarks
{
    private EdgeKey _edgeKey = null!;
    private byte[] _payload = null!;
    private AesGcm _aes = null!;
    private byte[] _nonce = null!;
    private byte[] _ciphertext = null!;
    private byte[] _tag = null!;
    private MemoryStream _source = null!;
    private System.Buffers.ArrayBufferWriter<byte> _sealed = null!;

    [Params(1024, 65536, 1048576)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _edgeKey = BenchmarkData.NewEdgeKey();
        _payload = BenchmarkData.Payload(Size);

        // The baseline reuses one key and one nonce on purpose: it measures bulk AES-GCM, it does not protect data.
        _aes = new AesGcm(RandomNumberGenerator.GetBytes(32), tagSizeInBytes: 16);
        _nonce = RandomNumberGenerator.GetBytes(MessageCipher.NonceSize);
        _ciphertext = new byte[Size];
        _tag = new byte[16];

        _source = new MemoryStream(_payload, writable: false);
        _sealed = new System.Buffers.ArrayBufferWriter<byte>(Size + 4096);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _aes.Dispose();
        _edgeKey.Dispose();
        _source.Dispose();
    }

    /// <summary>One AES-256-GCM call over the whole payload into a preallocated buffer: no KDF, no header, no chunks.</summary>
    [Benchmark(Baseline = true)]
    public void RawAesGcm() => _aes.Encrypt(_nonce, _payload, _ciphertext, _tag);

    /// <summary>The in-memory API: returns a freshly allocated envelope.</summary>
    [Benchmark]
    public byte[] Seal() => EnvelopeSealer.Seal(_edgeKey, _payload);

    /// <summary>The allocation-free API: seals into a reused buffer writer (what the throughput target is about).</summary>
    [Benchmark]
    public EnvelopeMetadata SealInto()
    {
        _sealed.ResetWrittenCount();
        return EnvelopeSealer.Seal(_edgeKey, _payload, _sealed);
    }

    /// <summary>The streaming API, from a memory stream into <see cref="Stream.Null"/>.</summary>
    [Benchmark]
    public Task<EnvelopeMetadata> SealAsync()
    {
        _source.Position = 0;
        return EnvelopeSealer.SealAsync(_edgeKey, _source, Stream.Null);
    }
}
