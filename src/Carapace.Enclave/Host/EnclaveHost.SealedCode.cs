using System.Security.Cryptography;
using Carapace.Enclave.FileSystem;
using Carapace.Enclave.FileSystem.Image;
using Carapace.Functions;
using Carapace.Functions.Images;

namespace Carapace.Enclave.Host;

/// <summary>Mounting a function's shielded image and loading sealed code from it.</summary>
internal sealed partial class EnclaveHost
{
    private static IFileSystem? MountImage(FunctionManifest manifest, string? path, byte[]? key)
    {
        if (manifest.Image is not { } image)
        {
            return null;
        }

        if (path is null || key is null)
        {
            throw new SpecializationException("the function is measured with an image, but no image (or no image key) was given");
        }

        try
        {
            // The cache of verified blocks may hold as much as the function's files may write (its tmp size, at most 64 MiB).
            return ShieldedImage.Mount(path, key, image.Root.Span, ShieldedImage.CacheBlocksFor(manifest.TmpBytes));
        }
        catch (IntegrityViolationException e)
        {
            throw new SpecializationException("integrity violation: " + e.Message);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ImageFormatException)
        {
            throw new SpecializationException("cannot mount the image: " + e.Message);
        }
    }

    /// <summary>
    /// The code of a function with sealed code (<see cref="SealedCode"/>), read from its mounted image, checked against
    /// the measured hash and loaded by the engine; null for a function whose code is the public one. The plaintext
    /// code is zeroed once loaded, as are the image's cached blocks it was read from, and no compiled form of it leaves
    /// the enclave (the host caches only the public stub). On failure the image is disposed.
    /// </summary>
    private IFunctionCode? SealedCodeOf(FunctionManifest manifest, IFileSystem? image)
    {
        if (manifest.SealedCodeHash is not { } expected)
        {
            return null;
        }

        byte[]? bytes = null;
        try
        {
            if (image is null)
            {
                throw new SpecializationException("the function's code is sealed in its image, but it has no image");
            }

            bytes = ReadSealedCode(image, _engine.SealedCodePath);
            if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(bytes), expected.Span))
            {
                throw new SpecializationException($"integrity violation: {_engine.SealedCodePath} in the image is not the measured code");
            }

            return _engine.LoadSealed(manifest, bytes);
        }
        catch
        {
            (image as IDisposable)?.Dispose();
            throw;
        }
        finally
        {
            if (bytes is not null)
            {
                CryptographicOperations.ZeroMemory(bytes);
            }

            // The blocks just read hold the code too: none of them stays in the image's cache.
            (image as ShieldedImage)?.ClearCache();
        }
    }

    /// <summary>Disposes the public stub sealed code replaced (nothing when the public code runs).</summary>
    private static void DisposeStub(IFunctionCode loaded, IFunctionCode running)
    {
        if (!ReferenceEquals(loaded, running))
        {
            loaded.Dispose();
        }
    }

    private static byte[] ReadSealedCode(IFileSystem image, string path)
    {
        if (image.Open(path, OpenFlags.None, out var handle) != Wasi.Errno.Success || handle is null)
        {
            throw new SpecializationException($"the function's code is sealed in its image, but the image has no {path}");
        }

        using (handle)
        {
            if (handle.Length is <= 0 or > SealedCode.MaxModuleBytes)
            {
                throw new SpecializationException($"{path} in the image is empty or larger than {SealedCode.MaxModuleBytes >> 20} MiB");
            }

            var bytes = GC.AllocateUninitializedArray<byte>((int)handle.Length, pinned: true);
            var done = 0;
            try
            {
                while (done < bytes.Length)
                {
                    if (handle.Read(done, bytes.AsSpan(done), out var read) != Wasi.Errno.Success || read == 0)
                    {
                        throw new SpecializationException($"cannot read {path} from the image");
                    }

                    done += read;
                }
            }
            catch (IntegrityViolationException e)
            {
                CryptographicOperations.ZeroMemory(bytes);
                throw new SpecializationException("integrity violation: " + e.Message);
            }
            catch
            {
                CryptographicOperations.ZeroMemory(bytes);
                throw;
            }

            return bytes;
        }
    }
}
