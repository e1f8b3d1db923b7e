using Carapace.Gateway;
using Carapace.Worker.Pools;

namespace Carapace.Platform.Kms;

/// <summary>
/// The health of the platform's supervised KMS — a small state machine every holder of the KMS's address consults:
/// <see cref="KmsState.Up"/> (serving at <see cref="Advertisement"/>) → <see cref="Lost"/> → <see cref="KmsState.Restarting"/>
/// (failed attempts: <see cref="RestartFailed"/>, each waiting longer) → <see cref="Restarted"/> → up again, possibly at
/// a new address; <see cref="Stop"/> ends it. It also counts failed health probes (<see cref="ProbeFailed"/>) and
/// computes the restart backoff and the <c>Retry-After</c> callers are given. Thread-safe; time from the injected
/// <see cref="TimeProvider"/>.
/// </summary>
/// <remarks>
/// The worker asks it (as <see cref="IKmsLocator"/>) before every specialisation, so new enclaves attest to the current
/// address and an outage fails at once with <see cref="KmsUnavailableException"/>; the gateway reports it in
/// <c>/api/v1/carapace/info</c>. Enclaves that already hold their keys do not need the KMS and keep serving.
/// </remarks>
public sealed class KmsHealth : IKmsLocator
{
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly KmsRestartBackoff _backoff;
    private KmsAdvertisement _advertisement;
    private KmsState _state = KmsState.Up;
    private DateTimeOffset _since;
    private DateTimeOffset _nextAttempt;
    private int _restarts;
    private int _attempts;
    private int _failedAttempts;
    private int _probeFailures;
    private string? _lastError;

    /// <summary>Starts the machine for a KMS that is up at <paramref name="advertisement"/>.</summary>
    /// <exception cref="ArgumentException">The options are invalid; the message lists every problem.</exception>
    public KmsHealth(KmsAdvertisement advertisement, KmsSupervisionOptions? options = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(advertisement);
        Options = options ?? new KmsSupervisionOptions();
        var problems = Options.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException("invalid KMS supervision options:" + string.Concat(problems.Select(p => "\n  - " + p)), nameof(options));
        }

        _time = time ?? TimeProvider.System;
        _backoff = new KmsRestartBackoff(Options.FirstRestartDelay, Options.MaxRestartDelay);
        _advertisement = advertisement;
        _since = _time.GetUtcNow();
    }

    /// <summary>The supervision settings.</summary>
    public KmsSupervisionOptions Options { get; }

    /// <summary>Where the KMS is (or was last, while it restarts) and what it attests.</summary>
    public KmsAdvertisement Advertisement
    {
        get
        {
            lock (_lock)
            {
                return _advertisement;
            }
        }
    }

    /// <summary>The current state.</summary>
    public KmsState State
    {
        get
        {
            lock (_lock)
            {
                return _state;
            }
        }
    }

    /// <summary>True while the KMS is up.</summary>
    public bool IsAvailable => State == KmsState.Up;

    /// <summary>Failed restart attempts since the KMS was last up.</summary>
    public int FailedAttempts
    {
        get
        {
            lock (_lock)
            {
                return _failedAttempts;
            }
        }
    }

    /// <summary>A snapshot for <c>/api/v1/carapace/info</c> and <c>carapace status</c>.</summary>
    public KmsHealthReport Report
    {
        get
        {
            lock (_lock)
            {
                return new KmsHealthReport(_advertisement, _state, _since, _restarts, _lastError, _state == KmsState.Up ? null : RetryAfterLocked());
            }
        }
    }

    /// <summary>
    /// While the KMS is not up: the time until the next restart attempt plus what a start takes, in whole seconds (at
    /// least 1). While it is up (an enclave found it unavailable before its death was noticed): what a start takes.
    /// </summary>
    public TimeSpan RetryAfter
    {
        get
        {
            lock (_lock)
            {
                return RetryAfterLocked();
            }
        }
    }

    /// <summary>The KMS's address while it is up.</summary>
    /// <exception cref="KmsUnavailableException">It is restarting (or stopped): says since when, why, and when to retry.</exception>
    public Uri Locate()
    {
        lock (_lock)
        {
            if (_state == KmsState.Up)
            {
                return _advertisement.Url;
            }

            var why = _lastError is null ? "" : $" after it {_lastError}";
            var message = _state == KmsState.Stopped
                ? "the KMS is unavailable: the platform is stopping"
                : $"the KMS is unavailable: it has been restarting since {_since.UtcDateTime:HH:mm:ss}Z{why}";
            throw new KmsUnavailableException(message, RetryAfterLocked());
        }
    }

    /// <summary>
    /// The KMS went down (<paramref name="reason"/>: how it exited, or that it stopped answering): it is now restarting,
    /// and the backoff starts over if it had been up for <see cref="KmsSupervisionOptions.StableAfter"/>. Returns the
    /// wait before the first restart attempt.
    /// </summary>
    public TimeSpan Lost(string reason)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            if (_state == KmsState.Stopped)
            {
                return TimeSpan.Zero;
            }

            if (_state == KmsState.Up && now - _since >= Options.StableAfter)
            {
                _attempts = 0;
            }

            _state = KmsState.Restarting;
            _since = now;
            _lastError = reason;
            _failedAttempts = 0;
            _probeFailures = 0;
            return ScheduleLocked(now);
        }
    }

    /// <summary>A restart attempt failed with <paramref name="error"/>; returns the (longer) wait before the next one.</summary>
    public TimeSpan RestartFailed(string error)
    {
        ArgumentException.ThrowIfNullOrEmpty(error);
        lock (_lock)
        {
            _failedAttempts++;
            _lastError = error;
            return ScheduleLocked(_time.GetUtcNow());
        }
    }

    /// <summary>The KMS is up again at <paramref name="advertisement"/>; returns true when its address changed.</summary>
    public bool Restarted(KmsAdvertisement advertisement)
    {
        ArgumentNullException.ThrowIfNull(advertisement);
        lock (_lock)
        {
            if (_state == KmsState.Stopped)
            {
                return false;
            }

            var moved = advertisement.Url != _advertisement.Url;
            _advertisement = advertisement;
            _state = KmsState.Up;
            _since = _time.GetUtcNow();
            _restarts++;
            _failedAttempts = 0;
            _probeFailures = 0;
            return moved;
        }
    }

    /// <summary>A health probe of the running KMS failed; true when that makes <see cref="KmsSupervisionOptions.UnresponsiveAfter"/> in a row.</summary>
    public bool ProbeFailed()
    {
        lock (_lock)
        {
            return _state == KmsState.Up && ++_probeFailures >= Options.UnresponsiveAfter;
        }
    }

    /// <summary>A health probe succeeded: the count of failed ones starts over.</summary>
    public void ProbeSucceeded()
    {
        lock (_lock)
        {
            _probeFailures = 0;
        }
    }

    /// <summary>The platform is stopping: nothing restarts the KMS any more, and new enclaves are refused.</summary>
    public void Stop()
    {
        lock (_lock)
        {
            _state = KmsState.Stopped;
            _since = _time.GetUtcNow();
        }
    }

    private TimeSpan ScheduleLocked(DateTimeOffset now)
    {
        var delay = _backoff.Delay(_attempts);
        _attempts++;
        _nextAttempt = now + delay;
        return delay;
    }

    private TimeSpan RetryAfterLocked()
    {
        var wait = Options.StartAllowance;
        if (_state == KmsState.Restarting)
        {
            var untilAttempt = _nextAttempt - _time.GetUtcNow();
            if (untilAttempt > TimeSpan.Zero)
            {
                wait += untilAttempt;
            }
        }

        return TimeSpan.FromSeconds(Math.Max(1, Math.Ceiling(wait.TotalSeconds)));
    }
}
