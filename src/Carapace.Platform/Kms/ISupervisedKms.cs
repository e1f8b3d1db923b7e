using Carapace.Gateway;

namespace Carapace.Platform.Kms;

/// <summary>A running KMS the <see cref="KmsSupervisor"/> watches: in <c>carapace up</c>, the <c>carapace kms start</c> child process.</summary>
public interface ISupervisedKms : IAsyncDisposable
{
    /// <summary>Where it listens and what it attests.</summary>
    KmsAdvertisement Advertisement { get; }

    /// <summary>Completes when it has exited, with a phrase saying how ("exited with code 1", "was killed by signal 9").</summary>
    Task<string> Exited { get; }

    /// <summary>Ends it at once (SIGKILL): for a KMS that stopped answering.</summary>
    void Kill();

    /// <summary>Asks it to stop (it finishes its requests) and waits up to <paramref name="grace"/>; then kills it.</summary>
    Task StopAsync(TimeSpan grace);
}

/// <summary>Starts a KMS on <paramref name="port"/> (0: any free port) and returns it once it listens.</summary>
/// <exception cref="Exception">It did not start; the message says why (never a secret).</exception>
public delegate Task<ISupervisedKms> KmsLauncher(int port, CancellationToken cancellationToken);
