using System.Security.Cryptography;
using Carapace.Enclave.FileSystem;
using Carapace.Enclave.FileSystem.Image;
using Carapace.Functions;
using Carapace.Functions.Images;
using Wasmtime;

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
    /// The module of a function with sealed code (<see cref="SealedCode"/>), read from its mounted image, checked against
    /// the measured hash and compiled; null for a function whose code is the public module. The plaintext module is
    /// zeroed once compiled, as are the image's cached blocks it was read from, and no compiled form of it leaves the
    /// enclave (the host caches only the public stub). On failure the image is disposed.
    /// </summary>
    private static Module? SealedModule(Engine engine, FunctionManifest manifest, IFileSystem? image)
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

            bytes = ReadSealedCode(image);
            if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(bytes), expected.Span))
            {
                throw new SpecializationException($"integrity violation: {SealedCode.PathInImage} in the image is not the measured module");
            }

            var module = Module.FromBytes(engine, "function", bytes);
            try
            {
                CheckImports(module);
            }
            catch
            {
                module.Dispose();
                throw;
            }

            return module;
        }
        catch (WasmtimeException e)
        {
            (image as IDisposable)?.Dispose();
            throw new SpecializationException("the sealed module is not valid WebAssembly for this runtime: " + e.Message.Split('\n')[0]);
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

            // The blocks just read hold the module too: none of them stays in the image's cache.
            (image as ShieldedImage)?.ClearCache();
        }
    }

    /// <summary>Disposes the public stub a sealed module replaced (nothing when the public module runs).</summary>
    private static void DisposeStub(Module loaded, Module running)
    {
        if (!ReferenceEquals(loaded, running))
        {
            loaded.Dispose();
        }
    }

    private static byte[] ReadSealedCode(IFileSystem image)
    {
        if (image.Open(SealedCode.PathInImage, OpenFlags.None, out var handle) != Wasi.Errno.Success || handle is null)
        {
            throw new SpecializationException($"the function's code is sealed in its image, but the image has no {SealedCode.PathInImage}");
        }

        using (handle)
        {
            if (handle.Length is <= 0 or > SealedCode.MaxModuleBytes)
            {
                throw new SpecializationException($"{SealedCode.PathInImage} in the image is empty or larger than {SealedCode.MaxModuleBytes >> 20} MiB");
            }

            var bytes = GC.AllocateUninitializedArray<byte>((int)handle.Length, pinned: true);
            var done = 0;
            try
            {
                while (done < bytes.Length)
                {
                    if (handle.Read(done, bytes.AsSpan(done), out var read) != Wasi.Errno.Success || read == 0)
                    {
                        throw new SpecializationException($"cannot read {SealedCode.PathInImage} from the image");
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
