using System.CommandLine;
using System.Security.Cryptography;
using Carapace.Cli.Infrastructure;
using Carapace.Functions;
using Carapace.Functions.Images;

namespace Carapace.Cli.Functions;

/// <summary>The module and image arguments shared by <c>run</c> and <c>measure</c>.</summary>
internal sealed class FunctionInputs
{
    private readonly Argument<string> _module = new("MODULE.wasm") { Description = "A WebAssembly module targeting WASI preview 1 (wasm32-wasi)." };
    private readonly Option<string?> _image = new("--image")
    {
        Description = "A shielded image (from 'carapace pack') mounted at GUESTPATH (default /data; '/' gives the function the image as its " +
            "whole file system), with a writable in-enclave overlay that is discarded after the invocation.",
        HelpName = "IMG[:GUESTPATH]",
    };

    private readonly Option<bool> _sealedCode = new("--sealed-code")
    {
        Description = "Keep the module confidential: it runs from inside the shielded image, read by the enclave only after the image key " +
            "is released, and the host gets only Carapace's fixed public stub. Without --image the module is packed alone into a fresh " +
            "image at /data; with --image the image must hold the module at " + Carapace.Functions.SealedCode.PathInImage + ".",
    };

    public ManifestOptions Manifest { get; } = new();

    public void AddTo(Command command)
    {
        command.Add(_module);
        command.Add(_image);
        command.Add(_sealedCode);
        Manifest.AddTo(command);
    }

    public Argument<string> ModuleArgument => _module;

    public string? ImagePath(ParseResult parse) => ImageMount.Parse(parse.GetValue(_image))?.Path;

    public bool IsSealedCode(ParseResult parse) => parse.GetValue(_sealedCode);

    /// <summary>Reads the module (refused unless it is a command module Carapace runs), the image header (no key needed) and builds the manifest.</summary>
    public (byte[] Module, FunctionManifest Manifest, ImageHeader? Image) Load(ParseResult parse) => Load(parse, ImagePath(parse));

    /// <summary>
    /// As <see cref="Load(ParseResult)"/>, with the image at <paramref name="imagePath"/> (for sealed code packed on the
    /// fly). With <c>--sealed-code</c> the module returned is the public stub and the manifest carries the real module's hash.
    /// </summary>
    public (byte[] Module, FunctionManifest Manifest, ImageHeader? Image) Load(ParseResult parse, string? imagePath)
    {
        var path = parse.GetRequiredValue(_module);
        var module = ModuleFile.Read(path);

        ImageHeader? header = null;
        if (imagePath is not null)
        {
            if (!File.Exists(imagePath))
            {
                throw new CliFailure($"image {imagePath} does not exist", ExitCodes.IoError);
            }

            try
            {
                using var stream = File.OpenRead(imagePath);
                header = ImageHeader.Read(stream);
            }
            catch (ImageFormatException e)
            {
                throw new CliFailure($"{imagePath}: {e.Message}");
            }
        }

        var image = header is null ? null : new ImageReference(header.ImageId, header.Root, ImageMount.Parse(parse.GetValue(_image))?.MountPath ?? ImageReference.DefaultMountPath);
        var manifest = Manifest.Build(parse, path, image);
        if (!IsSealedCode(parse))
        {
            return (module, manifest, header);
        }

        if (image is null)
        {
            throw new CliFailure("--sealed-code needs the image the module is packed in (give --image IMG)", ExitCodes.Usage);
        }

        var sealedManifest = manifest with { SealedCodeHash = SHA256.HashData(module) };
        CryptographicOperations.ZeroMemory(module);
        return (Carapace.Functions.SealedCode.PublicStub.ToArray(), sealedManifest, header);
    }
}
