namespace Carapace.Cli.Infrastructure;

/// <summary>Standard streams and files for commands that read or write payloads.</summary>
internal static class CliIo
{
    /// <summary>The file at <paramref name="path"/>, or standard input when it is null or "-".</summary>
    public static Stream OpenInput(string? path)
    {
        if (path is null or "-")
        {
            return Console.OpenStandardInput();
        }

        if (!File.Exists(path))
        {
            throw new CliFailure($"input file {path} does not exist", ExitCodes.IoError);
        }

        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16, useAsync: true);
    }

    /// <summary>Standard output, or an <see cref="AtomicFile"/> that appears at <paramref name="path"/> only when committed.</summary>
    public static Output OpenOutput(string? path) =>
        path is null or "-" ? new Output(Console.OpenStandardOutput(), null) : new Output(null, AtomicFile.Create(path));

    /// <summary>Where a command writes its result.</summary>
    public sealed class Output(Stream? stdout, AtomicFile? file) : IAsyncDisposable
    {
        public Stream Stream => stdout ?? file!.Stream;

        /// <summary>True when output goes to standard output, where what was written cannot be taken back.</summary>
        public bool IsStandardOutput => stdout is not null;

        public Task CommitAsync(CancellationToken cancellationToken) =>
            file is null ? Stream.FlushAsync(cancellationToken) : file.CommitAsync(cancellationToken);

        public async ValueTask DisposeAsync()
        {
            if (file is not null)
            {
                await file.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                await stdout!.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
