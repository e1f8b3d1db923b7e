using System.CommandLine;
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

    public ManifestOptions Manifest { get; } = new();

    public void AddTo(Command command)
    {
        command.Add(_module);
        command.Add(_image);
        Manifest.AddTo(command);
    }

    public string? ImagePath(ParseResult parse) => ImageMount.Parse(parse.GetValue(_image))?.Path;

    /// <summary>Reads the module (refused unless it is a command module Carapace runs), the image header (no key needed) and builds the manifest.</summary>
    public (byte[] Module, FunctionManifest Manifest, ImageHeader? Image) Load(ParseResult parse)
    {
        var path = parse.GetRequiredValue(_module);
        var module = ModuleFile.Read(path);

        ImageHeader? header = null;
        if (ImagePath(parse) is { } imagePath)
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

        var image = header is null ? null : new ImageReference(header.ImageId, header.Root, ImageMount.Parse(parse.GetValue(_image))!.MountPath);
        return (module, Manifest.Build(parse, path, image), header);
    }
}
