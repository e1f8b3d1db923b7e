using Carapace.Enclave.FileSystem;

namespace Carapace.Enclave.Wasi;

/// <summary>Everything a <see cref="WasiContext"/> gives one invocation of a function.</summary>
public sealed class WasiOptions
{
    /// <summary>Default for <see cref="MaxStdoutBytes"/>: 16 MiB.</summary>
    public const int DefaultMaxStdoutBytes = 16 << 20;

    /// <summary>Default for <see cref="MaxStderrBytes"/>: 1 MiB.</summary>
    public const int DefaultMaxStderrBytes = 1 << 20;

    /// <summary>Default for <see cref="MaxOpenFiles"/>.</summary>
    public const int DefaultMaxOpenFiles = 128;

    /// <summary>The arguments, argv[0] included (by convention the function's name). None may contain a NUL.</summary>
    public IReadOnlyList<string> Args { get; init; } = [];

    /// <summary>The environment, in order. Names may contain neither '=' nor NUL, values no NUL.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Environment { get; init; } = [];

    /// <summary>
    /// The request payload the guest reads as stdin (fd 0). The context reads it but does not own it: the caller
    /// zeroes it after the invocation.
    /// </summary>
    public ReadOnlyMemory<byte> Stdin { get; init; }

    /// <summary>Most bytes stdout collects; a write past it is cut short, then fails with <see cref="Errno.FBig"/>, and <see cref="WasiContext.OutputTruncated"/> is set.</summary>
    public int MaxStdoutBytes { get; init; } = DefaultMaxStdoutBytes;

    /// <summary>Most bytes stderr collects (same behaviour as <see cref="MaxStdoutBytes"/>).</summary>
    public int MaxStderrBytes { get; init; } = DefaultMaxStderrBytes;

    /// <summary>
    /// The directories the guest can reach, as (guest path, file system), e.g. <c>("/data", image)</c>,
    /// <c>("/tmp", scratch)</c>. They get fds 3, 4, … in this order. The context does not own the file systems.
    /// </summary>
    public IReadOnlyList<(string GuestPath, IFileSystem FileSystem)> Preopens { get; init; } = [];

    /// <summary>The granted clocks.</summary>
    public WasiClockOptions Clock { get; init; } = new();

    /// <summary>Source of time (tests substitute their own).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// Fires when the invocation's wall-clock limit is reached: sleeps in <c>poll_oneoff</c> end at once, so host code
    /// never blocks past it (the guest itself is stopped by epoch interruption).
    /// </summary>
    public CancellationToken Deadline { get; init; }

    /// <summary>Size of the descriptor table (stdio and preopens included); opening past it fails with <see cref="Errno.MFile"/>.</summary>
    public int MaxOpenFiles { get; init; } = DefaultMaxOpenFiles;
}
