using System.CommandLine;
using Carapace.Cli.Infrastructure;
using Carapace.Functions.Images;
using Spectre.Console;

namespace Carapace.Cli.Functions;

/// <summary><c>carapace pack</c>: a directory tree → an encrypted, integrity-protected image for /data.</summary>
internal static class PackCommand
{
    public static Command Build()
    {
        var dir = new Argument<string>("DIR") { Description = "The directory tree to pack (regular files and directories only)." };
        var output = new Option<string>("--out") { Description = "The image file to write.", Required = true, HelpName = "IMG" };
        var key = new Option<string?>("--key")
        {
            Description = "Derive the image key from this master key and the image id. Default: a new random key, written to IMG.key (mode 0600).",
            HelpName = "FILE",
        };
        var command = new Command(
            "pack",
            "Pack a read-only file tree into a shielded image: every 4 KiB block AES-256-GCM encrypted (names and sizes too), " +
            "with a Merkle root that becomes part of the function's measurement. Functions see it at /data.")
        {
            dir, output, key,
        };
        Examples.Set(command, "carapace pack ./site --out site.img", "carapace pack ./models --out models.img --key ns.key");
        command.SetHandler((parse, cancel) =>
        {
            var source = parse.GetRequiredValue(dir);
            if (!Directory.Exists(source))
            {
                throw new CliFailure($"directory {source} does not exist", ExitCodes.IoError);
            }

            var imagePath = parse.GetRequiredValue(output);
            var id = ImageKeys.NewImageId();
            var imageKey = ImageKeySource.ForPacking(parse.GetValue(key), imagePath, id, out var keyFile);
            ImageDescription description;
            var file = AtomicFile.Create(imagePath);
            try
            {
                description = ImagePacker.Pack(source, file.Stream, id, imageKey, new Progress<long>(bytes =>
                {
                    if (!Console.IsErrorRedirected)
                    {
                        Console.Error.Write($"\rcarapace: packed {bytes >> 20} MiB");
                    }
                }));
                file.CommitAsync(cancel).GetAwaiter().GetResult();
            }
            catch (ImagePackException e)
            {
                throw new CliFailure(e.Message);
            }
            finally
            {
                System.Security.Cryptography.CryptographicOperations.ZeroMemory(imageKey);
                file.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }

            if (!Console.IsErrorRedirected)
            {
                Console.Error.WriteLine();
            }

            Console.Out.WriteLine($"image   {imagePath} ({description.ImageBytes} bytes)");
            Console.Out.WriteLine($"id      {Convert.ToHexStringLower(description.ImageId.Span)}");
            Console.Out.WriteLine($"root    {description.RootHex}");
            Console.Out.WriteLine($"content {description.FileCount} files, {description.DirectoryCount} directories, {description.DataBytes} bytes");
            Console.Out.WriteLine(keyFile is null ? "key     derived from the master key and the image id" : $"key     {keyFile} (mode 0600; keep it secret)");
            return Task.FromResult(ExitCodes.Ok);
        });
        return command;
    }
}
