using System.Runtime.Versioning;
using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Carapace.Enclave.FileSystem;
using Carapace.Enclave.FileSystem.Image;
using Carapace.Functions.Images;

namespace Carapace.Benchmarks.FileSystem;

/// <summary>
/// Sequential reads of a 16 MiB file in 64 KiB reads: through a mounted <see cref="ShieldedImage"/> (decrypt and
/// verify every 4 KiB block) against a plain <see cref="FileStream"/> over the same plaintext, both from the page
/// cache. Target: the shield reaches at least 0.7× plain file throughput. The AES-GCM floor decrypts the same 4096
/// blocks from memory (with the image's 28-byte associated data), to show how much of the shield's time is the
/// cipher itself.
/// </summary>
[MemoryDiagnoser]
[SupportedOSPlatform("linux")]
public class ShieldedImageReadBenchmarks
{
    private const int FileSize = 16 * 1024 * 1024;
    private const int ReadSize = 64 * 1024;
    private const int Block = 4096;

    private string _directory = null!;
    private string _plainPath = null!;
    private ShieldedImage _image = null!;
    private IFileHandle _handle = null!;
    private FileStream _plain = null!;
    private byte[] _buffer = null!;
    private AesGcm _aes = null!;
    private byte[] _ciphertext = null!;
    private byte[] _tags = null!;
    private byte[] _associatedData = null!;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "carapace-bench-" + Guid.NewGuid().ToString("N"));
        var source = Directory.CreateDirectory(Path.Combine(_directory, "src")).FullName;
        var content = new byte[FileSize];
        new Random(42).NextBytes(content);
        _plainPath = Path.Combine(source, "data.bin");
        File.WriteAllBytes(_plainPath, content);

        var key = RandomNumberGenerator.GetBytes(ImageKeys.KeySize);
        var imagePath = Path.Combine(_directory, "image.img");
        ImageDescription description;
        using (var output = new FileStream(imagePath, FileMode.CreateNew, FileAccess.ReadWrite))
        {
            description = ImagePacker.Pack(source, output, ImageKeys.NewImageId(), key);
        }

        _image = ShieldedImage.Mount(imagePath, key, description.Root.Span);
        if (_image.Open("data.bin", OpenFlags.None, out var handle) != Carapace.Enclave.Wasi.Errno.Success)
        {
            throw new InvalidOperationException("cannot open the benchmark file in the image");
        }

        _handle = handle!;
        _plain = new FileStream(_plainPath, FileMode.Open, FileAccess.Read, FileShare.Read);
        _buffer = new byte[ReadSize];

        _aes = new AesGcm(RandomNumberGenerator.GetBytes(32), 16);
        _ciphertext = new byte[FileSize];
        _tags = new byte[FileSize / Block * 16];
        var nonce = new byte[12];
        _associatedData = RandomNumberGenerator.GetBytes(28);
        for (var i = 0; i < FileSize / Block; i++)
        {
            _aes.Encrypt(nonce, content.AsSpan(i * Block, Block), _ciphertext.AsSpan(i * Block, Block), _tags.AsSpan(i * 16, 16), _associatedData);
        }

        // Warm the page cache for both files and check that the shield returns the right bytes.
        if (!Plain().Equals(Shielded()))
        {
            throw new InvalidOperationException("the two reads returned different lengths");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _handle.Dispose();
        _image.Dispose();
        _plain.Dispose();
        _aes.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>FileStream over the plaintext file, 64 KiB reads from the start to the end.</summary>
    [Benchmark(Baseline = true)]
    public long Plain()
    {
        _plain.Position = 0;
        long total = 0;
        int read;
        while ((read = _plain.Read(_buffer)) > 0)
        {
            total += read;
        }

        return total;
    }

    /// <summary>The shielded image: the same file, 64 KiB reads, every block decrypted and its tag checked.</summary>
    [Benchmark]
    public long Shielded()
    {
        long total = 0;
        while (_handle.Read(total, _buffer, out var read) == Carapace.Enclave.Wasi.Errno.Success && read > 0)
        {
            total += read;
        }

        return total;
    }

    /// <summary>
    /// AES-256-GCM decryption of the same 4096 blocks from memory, one call per block with 28 bytes of associated
    /// data as the image uses: the cipher's share of the shield's time (its floor).
    /// </summary>
    [Benchmark]
    public long AesGcmFloor()
    {
        Span<byte> nonce = stackalloc byte[12];
        for (var i = 0; i < FileSize / Block; i++)
        {
            _aes.Decrypt(nonce, _ciphertext.AsSpan(i * Block, Block), _tags.AsSpan(i * 16, 16), _buffer.AsSpan((i % (ReadSize / Block)) * Block, Block), _associatedData);
        }

        return FileSize;
    }
}
