using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Carapace.Envelope.Format;
using Carapace.Envelope.Keys;
using Carapace.Envelope.Sealing;

namespace Carapace.Benchmarks.Envelope;

/// <summary>
/// Opening cost against the floor of one raw AES-256-GCM decryption of the whole payload. Targets: the envelope
/// reaches at least 0.9× raw AES-GCM throughput at 64 KiB and 1 MiB, and streaming allocates O(1) in the payload size.
/// </summary>
[MemoryDiagnoser]
public class EnvelopeOpenBenchmarks
{
    private EdgeKey _edgeKey = null!;
    private byte[] _sealed = null!;
    private AesGcm _aes = null!;
    private byte[] _nonce = null!;
    private byte[] _ciphertext = null!;
    private byte[] _tag = null!;
    private byte[] _plaintext = null!;
    private MemoryStream _source = null!;
    private CountingNullStream _sink = null!;
    private System.Buffers.ArrayBufferWriter<byte> _opened = null!;

    [Params(1024, 65536, 1048576)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _edgeKey = BenchmarkData.NewEdgeKey();
        var payload = BenchmarkData.Payload(Size);

        _aes = new AesGcm(RandomNumberGenerator.GetBytes(32), tagSizeInBytes: 16);
        _nonce = RandomNumberGenerator.GetBytes(MessageCipher.NonceSize);
        _ciphertext = new byte[Size];
        _tag = new byte[16];
        _aes.Encrypt(_nonce, payload, _ciphertext, _tag);
        _plaintext = new byte[Size];

        _sealed = EnvelopeSealer.Seal(_edgeKey, payload);
        _source = new MemoryStream(_sealed, writable: false);
        _sink = new CountingNullStream();
        _opened = new System.Buffers.ArrayBufferWriter<byte>(Size + 64);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _aes.Dispose();
        _edgeKey.Dispose();
        _source.Dispose();
        _sink.Dispose();
    }

    /// <summary>One AES-256-GCM verify-and-decrypt of the whole payload into a preallocated buffer.</summary>
    [Benchmark(Baseline = true)]
    public void RawAesGcm() => _aes.Decrypt(_nonce, _ciphertext, _tag, _plaintext);

    /// <summary>The in-memory API (allocates the plaintext) and its dispose (zeroes it).</summary>
    [Benchmark]
    public int Open()
    {
        using var opened = EnvelopeOpener.Open(_edgeKey, _sealed);
        return opened.Payload.Length;
    }

    /// <summary>The streaming API, from a memory stream into a counting null stream.</summary>
    /// <summary>The allocation-free API: opens into a reused buffer writer (what the throughput target is about).</summary>
    [Benchmark]
    public EnvelopeMetadata OpenInto()
    {
        _opened.ResetWrittenCount();
        return EnvelopeOpener.Open(_edgeKey, _sealed, _opened);
    }

    [Benchmark]
    public Task<EnvelopeMetadata> OpenAsync()
    {
        _source.Position = 0;
        _sink.Reset();
        return EnvelopeOpener.OpenAsync(_edgeKey, _source, _sink);
    }
}
