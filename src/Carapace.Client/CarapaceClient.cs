using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Carapace.Attestation;
using Carapace.Attestation.Tee;
using Carapace.Client.Deployment;
using Carapace.Client.Gateway;
using Carapace.Client.Invocation;
using Carapace.Client.Profiles;
using Carapace.Envelope;
using Carapace.Envelope.Format;
using Carapace.Envelope.Sealing;
using Carapace.Functions;
using Carapace.Kms.Client;
using Carapace.Kms.Client.Policy;

namespace Carapace.Client;

/// <summary>
/// A client of one Carapace platform, made from its <see cref="PlatformProfile"/>: it deploys actions and chains
/// (naming their measurements in the namespace's KMS policy, signed with the owner key), seals inputs for a chain's
/// entry edge, opens outputs with its exit edge, verifies every step's receipt, and opens confidential logs. The keys
/// come from the KMS over attested TLS (the KMS must attest this build's <see cref="KmsIdentity.Measurement"/>); the
/// gateway and everything behind it see only envelopes and metadata.
/// </summary>
/// <remarks>
/// Errors: <see cref="GatewayException"/> (the gateway could not be reached, was not trusted, or refused a management
/// request), <see cref="InvocationException"/> (an invocation gave no trustworthy output), <see cref="CarapaceClientException"/>
/// (a key, KMS or policy precondition), and the KMS client's <see cref="KmsTrustException"/>, <see cref="Kms.Client.Release.KmsDeniedException"/>,
/// <see cref="PolicyException"/>, <see cref="KmsRequestException"/> and <see cref="KmsKeyFileException"/>.
/// </remarks>
public sealed partial class CarapaceClient : IAsyncDisposable
{
    private const int PolicyAttempts = 3;
    private const string ChainAnnotation = "carapace.chainId";
    private const string StepAnnotation = "carapace.step";
    private const string RequestAnnotation = "carapace.requestId";

    private readonly PlatformProfile _profile;
    private readonly CarapaceClientOptions _options;
    private readonly SemaphoreSlim _connect = new(1, 1);
    private readonly SemaphoreSlim _policyUpdate = new(1, 1);
    private readonly Lock _sessionsLock = new();
    private readonly Dictionary<string, ChainSession> _sessions = new(StringComparer.Ordinal);
    private readonly List<ChainSession> _retired = [];
    private KmsClient? _kms;
    private byte[] _quotingKey = [];
    private TeeSettings? _tee;
    private string? _namespace;
    private byte[]? _runtimeIdentity;
    private byte[]? _javaScriptRuntimeIdentity;

    private CarapaceClient(PlatformProfile profile, GatewayClient gateway, CarapaceClientOptions options)
    {
        _profile = profile;
        _options = options;
        Gateway = gateway;
    }

    /// <summary>The gateway client (management routes: actions, activations).</summary>
    public GatewayClient Gateway { get; }

    /// <summary>The profile this client was made from.</summary>
    public PlatformProfile Profile => _profile;

    /// <summary>A client of <paramref name="profile"/>'s platform; nothing is contacted until the first call.</summary>
    /// <exception cref="PlatformProfileException">The profile's CA certificate file cannot be read.</exception>
    public static CarapaceClient Create(PlatformProfile profile, CarapaceClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(profile);
        options ??= new CarapaceClientOptions();
        return new CarapaceClient(profile, GatewayClient.Create(profile, options.GatewayTimeout), options);
    }

    /// <summary>
    /// The TEE the platform's KMS and enclaves run in, from the profile's TEE configuration (<c>teeConfig</c>):
    /// simulation when it names none. It says how the KMS and receipts are checked and which rules a deploy writes.
    /// </summary>
    /// <exception cref="CarapaceClientException">The profile's TEE configuration cannot be read or has problems.</exception>
    public TeeSettings Tee
    {
        get
        {
            if (_tee is { } known)
            {
                return known;
            }

            if (_profile.TeeConfigPath is not { } path)
            {
                return _tee = TeeSettings.Simulation;
            }

            try
            {
                return _tee = TeeSettings.Load(path);
            }
            catch (TeeConfigurationException e)
            {
                throw new CarapaceClientException($"the profile {_profile.Source} names the TEE configuration {path}, which cannot be used: {e.Message}", e);
            }
        }
    }

    /// <summary>The namespace's name (what <c>_</c> stands for, asked of the gateway when the profile does not say).</summary>
    /// <exception cref="GatewayException">The gateway could not say.</exception>
    public async Task<string> GetNamespaceAsync(CancellationToken cancellationToken = default)
    {
        if (_namespace is { } known)
        {
            return known;
        }

        if (_profile.Namespace != PlatformProfile.OwnNamespace)
        {
            return _namespace = _profile.Namespace;
        }

        return _namespace = (await Gateway.GetInfoAsync(cancellationToken).ConfigureAwait(false)).Namespace;
    }

    /// <summary>
    /// The client of the platform's KMS: the one the profile records, or else the one the gateway advertises. Either
    /// way the advertised measurement must be this build's KMS measurement, and the connection itself checks the KMS's
    /// RA-TLS evidence against it and the advertised simulation quoting key.
    /// </summary>
    /// <exception cref="CarapaceClientException">No KMS is known, or it is not this build's KMS.</exception>
    public async Task<KmsClient> GetKmsAsync(CancellationToken cancellationToken = default)
    {
        if (_kms is { } ready)
        {
            return ready;
        }

        await _connect.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_kms is { } raced)
            {
                return raced;
            }

            var kms = _profile.Kms;
            var source = $"the profile {_profile.Source}";
            if (kms is null)
            {
                var info = await Gateway.GetInfoAsync(cancellationToken).ConfigureAwait(false);
                _namespace ??= info.Namespace;
                source = $"the gateway at {Gateway.Endpoint}";
                kms = info.Kms ?? throw new CarapaceClientException(
                    $"the platform at {Gateway.Endpoint} names no KMS, and confidential actions need one; start the platform with 'carapace up'");
            }

            if (!string.Equals(kms.Measurement, KmsIdentity.MeasurementHex, StringComparison.OrdinalIgnoreCase))
            {
                throw new CarapaceClientException($"{source} names a KMS with measurement {kms.Measurement}, but this client trusts only the KMS of "
                    + $"its own build, {KmsIdentity.MeasurementHex}; use the carapace build the platform runs, or restart the platform with this one");
            }

            if (!Uri.TryCreate(kms.Url, UriKind.Absolute, out var url) || url.Scheme != Uri.UriSchemeHttps)
            {
                throw new CarapaceClientException($"{source} gives the KMS address '{kms.Url}', which is not an https:// address");
            }

            byte[] quotingKey;
            try
            {
                quotingKey = Convert.FromBase64String(kms.QuotingKey);
            }
            catch (FormatException e)
            {
                throw new CarapaceClientException($"{source} gives a KMS quoting key that is not base64 ({e.Message})", e);
            }

            _quotingKey = quotingKey;
            return _kms = new KmsClient(url, KmsServerTrust.For(Tee, quotingKey));
        }
        finally
        {
            _connect.Release();
        }
    }

    /// <summary>
    /// The simulation quoting key (DER SubjectPublicKeyInfo) that signs the KMS's and the enclaves' evidence, from the
    /// KMS the profile records or the gateway advertises (checked as by <see cref="GetKmsAsync"/>): what receipts verify against.
    /// </summary>
    /// <exception cref="CarapaceClientException">No KMS is known, or it is not this build's KMS.</exception>
    public async Task<ReadOnlyMemory<byte>> GetQuotingKeyAsync(CancellationToken cancellationToken = default)
    {
        await GetKmsAsync(cancellationToken).ConfigureAwait(false);
        return _quotingKey;
    }

    /// <summary>
    /// What receipts are verified against: the platform's simulation quoting key, or, on confidential VMs, the roots
    /// and collateral of the TEE configuration (call after <see cref="GetKmsAsync"/>).
    /// </summary>
    public VerificationOptions ReceiptOptions() => Tee.IsSimulated
        ? new VerificationOptions { SimulationQuotingKeys = [_quotingKey] }
        : new VerificationOptions { Roots = Tee.Trust.Roots, DcapCollateral = Tee.Trust.DcapCollateral, SnpCollateral = Tee.Trust.SnpCollateral };

    /// <summary>Invokes chain (action) <paramref name="name"/> with <paramref name="input"/> and waits for its verified output.</summary>
    /// <exception cref="InvocationException">The platform refused or the function failed, or the output or receipts do not hold.</exception>
    /// <exception cref="CarapaceClientException">The profile has no client key.</exception>
    public async Task<InvokeResult> InvokeAsync(string name, ReadOnlyMemory<byte> input, InvokeOptions? options = null, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        options ??= new InvokeOptions();
        var session = await SessionAsync(name, cancellationToken).ConfigureAwait(false);
        var requestId = RequestId.New();
        var envelope = EnvelopeSealer.Seal(session.Keys.Entry, input.Span, SealOptions(name, requestId, options));
        return await InvokeSealedAsync(name, session, requestId, envelope, options, started, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Like <see cref="InvokeAsync(string, ReadOnlyMemory{byte}, InvokeOptions?, CancellationToken)"/>, sealing <paramref name="input"/> as it is read.</summary>
    /// <exception cref="InvocationException">The platform refused or the function failed, or the output or receipts do not hold.</exception>
    public async Task<InvokeResult> InvokeAsync(string name, Stream input, InvokeOptions? options = null, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        options ??= new InvokeOptions();
        var session = await SessionAsync(name, cancellationToken).ConfigureAwait(false);
        var requestId = RequestId.New();
        var envelope = await SealAsync(session, name, requestId, input, options, cancellationToken).ConfigureAwait(false);
        return await InvokeSealedAsync(name, session, requestId, envelope, options, started, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Starts chain (action) <paramref name="name"/> on <paramref name="input"/> without waiting; see <see cref="GetResultAsync(PendingInvocation, CancellationToken)"/>.</summary>
    /// <exception cref="InvocationException">The platform refused the invocation.</exception>
    public async Task<PendingInvocation> StartAsync(string name, Stream input, InvokeOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new InvokeOptions();
        var session = await SessionAsync(name, cancellationToken).ConfigureAwait(false);
        var requestId = RequestId.New();
        var envelope = await SealAsync(session, name, requestId, input, options, cancellationToken).ConfigureAwait(false);
        var response = await PostAsync(name, envelope, blocking: false, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            throw await FailureAsync(name, response, cancellationToken).ConfigureAwait(false);
        }

        return new PendingInvocation(name, ActivationIdOf(response), requestId, SHA256.HashData(envelope));
    }

    /// <summary>The verified output of an invocation started with <see cref="StartAsync"/>.</summary>
    /// <exception cref="InvocationException">It has not finished (<see cref="InvocationFailure.Pending"/>), it failed, or its output or receipts do not hold.</exception>
    public async Task<InvokeResult> GetResultAsync(PendingInvocation pending, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pending);
        var started = Stopwatch.GetTimestamp();
        var (envelope, receipts) = await FinishedResultAsync(pending.Action, pending.ActivationId, cancellationToken).ConfigureAwait(false);
        var session = await SessionAsync(pending.Action, cancellationToken).ConfigureAwait(false);
        return Finish(pending.Action, session, pending.ActivationId, pending.RequestId, pending.SealedInputSha256, envelope, receipts, cold: null,
            new InvokeOptions(), started);
    }

    /// <summary>
    /// The verified output of activation <paramref name="activationId"/> (a confidential chain's or action's), as far
    /// as it can be checked without the input: the receipts must verify, name accepted measurements and link step 1's
    /// input to the output, but that input is not known to be one this client sent (use the
    /// <see cref="PendingInvocation"/> overload for that).
    /// </summary>
    /// <exception cref="InvocationException">It has not finished, failed, or its output or receipts do not hold.</exception>
    public async Task<InvokeResult> GetResultAsync(string activationId, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        GatewayActivation activation;
        try
        {
            activation = await Gateway.GetActivationAsync(activationId, cancellationToken).ConfigureAwait(false);
        }
        catch (GatewayException e) when (e.Failure == GatewayFailure.Unfinished)
        {
            throw new InvocationException(InvocationFailure.Pending, $"activation {activationId} has not finished yet; ask again later",
                activationId: activationId, inner: e);
        }

        var chain = Annotation(activation, ChainAnnotation)?.GetString() ?? activation.Name;
        if (!RequestId.TryParse(Annotation(activation, RequestAnnotation)?.GetString(), out var requestId))
        {
            throw new InvocationException(InvocationFailure.OutputInvalid, $"activation {activationId} records no request id; it is not a confidential invocation",
                activationId: activationId);
        }

        var (envelope, receipts) = await FinishedResultAsync(chain, activationId, cancellationToken).ConfigureAwait(false);
        var session = await SessionAsync(chain, cancellationToken).ConfigureAwait(false);
        return Finish(chain, session, activationId, requestId, null, envelope, receipts, cold: null, new InvokeOptions(), started);
    }

    /// <summary>
    /// The log lines of activation <paramref name="activationId"/>: a plaintext activation's as recorded, a confidential
    /// one's opened here with the log key of its chain step (the platform holds only the sealed log).
    /// </summary>
    /// <exception cref="CarapaceClientException">The activation is a sequence's own (its steps have the logs), or the sealed log does not open.</exception>
    public async Task<IReadOnlyList<string>> GetLogsAsync(string activationId, CancellationToken cancellationToken = default)
    {
        var logs = await Gateway.GetActivationLogsAsync(activationId, cancellationToken).ConfigureAwait(false);
        if (logs.Sealed is null)
        {
            return logs.Lines;
        }

        if (logs.Sealed.Envelope is not { } envelope)
        {
            throw new CarapaceClientException($"the gateway at {Gateway.Endpoint} shows only the size and hash of activation {activationId}'s sealed logs, "
                + "not the sealed logs themselves; update the platform");
        }

        var activation = await Gateway.GetActivationAsync(activationId, cancellationToken).ConfigureAwait(false);
        if (Annotation(activation, ChainAnnotation)?.GetString() is not { } chain
            || Annotation(activation, StepAnnotation) is not { ValueKind: JsonValueKind.Number } stepJson || !stepJson.TryGetInt32(out var step))
        {
            throw new CarapaceClientException($"activation {activationId} names no chain step, so its log key is unknown; a sequence's own activation "
                + "has no logs of its own, each step's activation does ('carapace activations list')");
        }

        var session = await SessionAsync(chain, cancellationToken).ConfigureAwait(false);
        try
        {
            using var opened = EnvelopeOpener.Open(session.Keys.Log(step), envelope.Span);
            var text = Encoding.UTF8.GetString(opened.Payload.Span);
            return [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r'))];
        }
        catch (Exception e) when (e is EnvelopeException or ArgumentOutOfRangeException)
        {
            throw new CarapaceClientException($"the sealed logs of activation {activationId} do not open with the log key of chain '{chain}' step {step} "
                + $"({e.Message}); they were altered, or the chain changed since", e);
        }
    }

    /// <summary>Closes the connections and zeroes every chain key held.</summary>
    public ValueTask DisposeAsync()
    {
        lock (_sessionsLock)
        {
            foreach (var session in _sessions.Values.Concat(_retired))
            {
                session.Dispose();
            }

            _sessions.Clear();
            _retired.Clear();
        }

        _kms?.Dispose();
        Gateway.Dispose();
        _connect.Dispose();
        _policyUpdate.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<InvokeResult> InvokeSealedAsync(string name, ChainSession session, RequestId requestId, byte[] envelope, InvokeOptions options,
        long started, CancellationToken cancellationToken)
    {
        var inputHash = SHA256.HashData(envelope);
        Answer answer;
        try
        {
            answer = await ReceiveAsync(name, requestId, envelope, inputHash, cancellationToken).ConfigureAwait(false);
        }
        catch (InvocationException e) when (session.FromDisk && e.Failure is not (InvocationFailure.Throttled or InvocationFailure.Unavailable
            or InvocationFailure.StorageFull or InvocationFailure.TooLarge or InvocationFailure.Pending))
        {
            // Keys from the key cache may be out of date (the chain or policy changed elsewhere): the next use asks the KMS.
            await ForgetCachedSessionAsync(name, session, cancellationToken).ConfigureAwait(false);
            throw;
        }

        try
        {
            return Finish(name, session, answer.ActivationId, requestId, inputHash, answer.Output, answer.Receipts, answer.Cold, options, started);
        }
        catch (InvocationException e) when (session.FromDisk && e.Failure is InvocationFailure.ReceiptsInvalid or InvocationFailure.OutputInvalid)
        {
            await ForgetCachedSessionAsync(name, session, cancellationToken).ConfigureAwait(false);
            // The cached policy or keys may be older than the chain that ran: check the same answer once more against
            // what the KMS says now (a verdict on the answer, not a second invocation).
            var fresh = await SessionAsync(name, cancellationToken).ConfigureAwait(false);
            return Finish(name, fresh, answer.ActivationId, requestId, inputHash, answer.Output, answer.Receipts, answer.Cold, options, started);
        }
    }

    /// <summary>What the platform answered to an invocation, before any check.</summary>
    private sealed record Answer(string ActivationId, byte[] Output, IReadOnlyList<ReadOnlyMemory<byte>> Receipts, bool? Cold);

    private async Task<Answer> ReceiveAsync(string name, RequestId requestId, byte[] envelope, byte[] inputHash, CancellationToken cancellationToken)
    {
        var response = await PostAsync(name, envelope, blocking: true, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.Accepted)
        {
            // The gateway's blocking wait ran out (as OpenWhisk, it answers with the activation id): poll for the result.
            var pending = new PendingInvocation(name, ActivationIdOf(response), requestId, inputHash);
            var (late, lateReceipts) = await WaitForResultAsync(name, pending.ActivationId, cancellationToken).ConfigureAwait(false);
            return new Answer(pending.ActivationId, late, lateReceipts, null);
        }

        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw await FailureAsync(name, response, cancellationToken).ConfigureAwait(false);
        }

        var activationId = response.Header("Carapace-Activation-Id") ?? "(unknown)";
        byte[] output;
        IReadOnlyList<ReadOnlyMemory<byte>> receipts;
        if (response.ContentType == GatewayClient.EnvelopeMediaType)
        {
            output = response.Body;
            receipts = ParseReceipts(response.Header("Carapace-Receipts"), activationId);
        }
        else
        {
            (output, receipts) = ResultParts(JsonBody(response), activationId);
        }

        var cold = response.Header("Carapace-Cold") is { } coldText ? coldText == "true" : (bool?)null;
        return new Answer(activationId, output, receipts, cold);
    }

    private InvokeResult Finish(string name, ChainSession session, string activationId, RequestId requestId, ReadOnlyMemory<byte>? inputHash,
        byte[] outputEnvelope, IReadOnlyList<ReadOnlyMemory<byte>> receipts, bool? cold, InvokeOptions options, long started)
    {
        var verified = options.VerifyReceipts
            ? ReceiptCheck.Verify(receipts, session.Keys.Namespace, session.Policy, session.Chain, requestId, inputHash, SHA256.HashData(outputEnvelope),
                ReceiptOptions(), Tee, activationId)
            : [];
        OpenedEnvelope opened;
        try
        {
            opened = EnvelopeOpener.Open(session.Keys.Exit, outputEnvelope);
        }
        catch (EnvelopeException e)
        {
            throw new InvocationException(InvocationFailure.OutputInvalid,
                $"the output of activation {activationId} does not open with the exit key of chain '{name}' ({e.Message}); it was altered or misrouted",
                activationId: activationId, inner: e);
        }

        using (opened)
        {
            var meta = opened.Metadata;
            if (meta.RequestId != requestId || meta.ChainId != name)
            {
                throw new InvocationException(InvocationFailure.OutputInvalid,
                    $"the output of activation {activationId} is for request {meta.RequestId} of chain '{meta.ChainId}', not request {requestId} of '{name}'; "
                    + "the platform returned another request's output", activationId: activationId);
            }

            return new InvokeResult
            {
                Action = name,
                ActivationId = activationId,
                RequestId = requestId,
                Output = opened.Payload.ToArray(),
                Cold = cold,
                Duration = Stopwatch.GetElapsedTime(started),
                Receipts = receipts,
                VerifiedReceipts = verified,
            };
        }
    }

    private async Task<(byte[] Envelope, IReadOnlyList<ReadOnlyMemory<byte>> Receipts)> WaitForResultAsync(string name, string activationId,
        CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(_options.ResultWait.TotalSeconds * Stopwatch.Frequency);
        var delay = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            try
            {
                return await FinishedResultAsync(name, activationId, cancellationToken).ConfigureAwait(false);
            }
            catch (InvocationException e) when (e.Failure == InvocationFailure.Pending && Stopwatch.GetTimestamp() < deadline)
            {
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 1000));
            }
        }
    }

    /// <summary>The sealed output and receipts of a finished, successful activation.</summary>
    private async Task<(byte[] Envelope, IReadOnlyList<ReadOnlyMemory<byte>> Receipts)> FinishedResultAsync(string name, string activationId,
        CancellationToken cancellationToken)
    {
        GatewayActivationResponse response;
        try
        {
            response = await Gateway.GetActivationResultAsync(activationId, cancellationToken).ConfigureAwait(false);
        }
        catch (GatewayException e) when (e.Failure == GatewayFailure.Unfinished)
        {
            throw new InvocationException(InvocationFailure.Pending, $"activation {activationId} of '{name}' has not finished yet; ask again later",
                activationId: activationId, inner: e);
        }

        if (!response.Success)
        {
            var error = ErrorText(response.Result);
            throw new InvocationException(InvocationFailure.FunctionFailed,
                $"'{name}' failed ({response.Status}){(error is null ? "" : ": " + error)}; see 'carapace activations get {activationId}'",
                activationId: activationId, activationStatus: response.Status, error: error);
        }

        return ResultParts(response.Result, activationId);
    }

    private async Task<GatewayResponse> PostAsync(string name, byte[] envelope, bool blocking, CancellationToken cancellationToken)
    {
        using var content = new ByteArrayContent(envelope);
        content.Headers.ContentType = new MediaTypeHeaderValue(GatewayClient.EnvelopeMediaType);
        return await Gateway.InvokeAsync(name, content, blocking, result: blocking, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The exception for an invocation the gateway did not answer with a result.</summary>
    private async Task<Exception> FailureAsync(string name, GatewayResponse response, CancellationToken cancellationToken)
    {
        var body = JsonBody(response);
        var error = ErrorText(body);
        var activationId = response.Header("Carapace-Activation-Id");
        var status = response.StatusCode;
        var said = error is null ? "" : ": " + error.TrimEnd('.');
        switch (status)
        {
            case HttpStatusCode.NotFound:
                return new InvocationException(InvocationFailure.NotFound,
                    $"action '{name}' does not exist in namespace '{await GetNamespaceAsync(cancellationToken).ConfigureAwait(false)}'; "
                    + $"deploy it with 'carapace deploy {name} MODULE.wasm' (see 'carapace actions list')", status, error: error);
            case HttpStatusCode.RequestEntityTooLarge:
                return new InvocationException(InvocationFailure.TooLarge, $"the input to '{name}' is too large for the platform{said}", status, error: error);
            case HttpStatusCode.UnsupportedMediaType:
                return new InvocationException(InvocationFailure.NotConfidential, $"'{name}' refused the sealed input{said}", status, error: error);
            case HttpStatusCode.TooManyRequests:
                return new InvocationException(InvocationFailure.Throttled, $"the platform is busy and refused to run '{name}'{said}; retry in a moment",
                    status, error: error);
            case HttpStatusCode.Conflict:
                return new InvocationException(InvocationFailure.Replayed, $"'{name}' refused request as a replay{said}", status, activationId, error: error);
            case HttpStatusCode.ServiceUnavailable:
                var retryAfter = int.TryParse(response.Header("Retry-After"), System.Globalization.NumberStyles.None,
                    System.Globalization.CultureInfo.InvariantCulture, out var seconds) ? TimeSpan.FromSeconds(seconds) : (TimeSpan?)null;
                return new InvocationException(InvocationFailure.Unavailable,
                    $"the platform cannot run '{name}' right now{said}; retry{(retryAfter is { } wait ? $" in {wait.TotalSeconds:0} s" : " shortly")} "
                    + "('carapace status' shows the platform's health)", status, activationId, error: error)
                {
                    RetryAfter = retryAfter,
                };
            case HttpStatusCode.InsufficientStorage:
                return new InvocationException(InvocationFailure.StorageFull, $"the platform could not record the invocation of '{name}'{said}",
                    status, activationId, error: error);
            case HttpStatusCode.BadGateway:
                string? activationStatus = null;
                if (activationId is not null)
                {
                    try
                    {
                        activationStatus = (await Gateway.GetActivationAsync(activationId, cancellationToken).ConfigureAwait(false)).Response?.Status;
                    }
                    catch (GatewayException)
                    {
                        // The status is a detail; the error text is the message.
                    }
                }

                var where = activationId is null ? "" : $"; see 'carapace activations get {activationId}'";
                return new InvocationException(InvocationFailure.FunctionFailed,
                    $"'{name}' failed{(activationStatus is null ? "" : $" ({activationStatus})")}{said}{where}", status, activationId, activationStatus, error);
            case HttpStatusCode.BadRequest:
                var action = await TryGetActionAsync(name, cancellationToken).ConfigureAwait(false);
                if (action is { Confidential: false })
                {
                    return new InvocationException(InvocationFailure.NotConfidential,
                        $"'{name}' is a plaintext action (confidential: false): it takes JSON, not a sealed envelope; redeploy it confidential to invoke it sealed",
                        status, error: error);
                }

                return new InvocationException(InvocationFailure.BadRequest, $"the platform refused the invocation of '{name}'{said}", status, error: error);
            default:
                var code = body is { ValueKind: JsonValueKind.Object } json && json.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String
                    ? c.GetString() : null;
                return new GatewayException(GatewayFailure.Rejected,
                    $"the gateway at {Gateway.Endpoint} refused to invoke action '{name}': {(int)status} {status}{said}", status, code, error);
        }
    }

    private async Task<GatewayAction?> TryGetActionAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            return await Gateway.GetActionAsync(name, withCode: false, cancellationToken).ConfigureAwait(false);
        }
        catch (GatewayException)
        {
            return null;
        }
    }

    /// <summary>The keys and policy of <paramref name="chain"/>, from the cache or the KMS.</summary>
    private async Task<ChainSession> SessionAsync(string chain, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(chain);
        lock (_sessionsLock)
        {
            if (_sessions.TryGetValue(chain, out var cached))
            {
                return cached;
            }
        }

        // The KMS's address and quoting key (what receipts verify against) come from the profile or the gateway; the
        // KMS itself is contacted only when the keys are not cached.
        var kms = await GetKmsAsync(cancellationToken).ConfigureAwait(false);
        var ns = await GetNamespaceAsync(cancellationToken).ConfigureAwait(false);
        var clientPath = _profile.ClientKeyPath ?? throw new CarapaceClientException(
            $"the profile {_profile.Source} names no client key ('clientKey' in platform.json); invoking a confidential action needs a client key of the namespace policy");
        var clientId = _profile.ClientId ?? "client";
        var scope = ChainKeyCache.Scope(_profile.Gateway, _profile.CaFingerprint, ns, clientId, chain);
        var session = FromKeyCache(scope, chain);
        if (session is null)
        {
            string policyText;
            using (var clientKey = OwnerKey.Load(clientPath))
            {
                var keys = await kms.GetChainKeysAsync(ns, chain, clientKey, clientId, cancellationToken).ConfigureAwait(false);
                try
                {
                    var signed = await kms.GetPolicyAsync(ns, cancellationToken).ConfigureAwait(false)
                        ?? throw new CarapaceClientException($"namespace '{ns}' lost its policy while this client read it");
                    policyText = signed.PolicyText;
                    var policy = KmsPolicy.Parse(policyText);
                    var steps = policy.FindChain(chain);
                    if (steps is null || steps.Steps.Count != keys.Steps)
                    {
                        throw new CarapaceClientException($"chain '{chain}' changed in namespace '{ns}' while this client read it; try again");
                    }

                    session = new ChainSession(keys, policy, steps);
                }
                catch
                {
                    keys.Dispose();
                    throw;
                }
            }

            _options.KeyCache?.Store(scope, session.Keys, policyText);
        }

        lock (_sessionsLock)
        {
            if (_sessions.TryGetValue(chain, out var raced))
            {
                session.Dispose();
                return raced;
            }

            _sessions[chain] = session;
            return session;
        }
    }

    /// <summary>The session of <paramref name="chain"/> from the on-disk key cache, or null when it holds none that fits.</summary>
    private ChainSession? FromKeyCache(string scope, string chain)
    {
        if (_options.KeyCache is not { } cache || !cache.TryLoad(scope, out var keys, out var policyText))
        {
            return null;
        }

        try
        {
            var policy = KmsPolicy.Parse(policyText!);
            if (policy.FindChain(chain) is { } steps && steps.Steps.Count == keys!.Steps && keys.Chain == chain)
            {
                return new ChainSession(keys, policy, steps, fromDisk: true);
            }
        }
        catch (PolicyException)
        {
            // Not a policy this client can read (another version wrote it): fetch afresh.
        }

        keys!.Dispose();
        cache.Forget(scope);
        return null;
    }

    /// <summary>
    /// Drops <paramref name="chain"/>'s session (in memory and on disk) after a failure its cached keys or policy could
    /// explain, so that the next use asks the KMS again.
    /// </summary>
    private async Task ForgetCachedSessionAsync(string chain, ChainSession session, CancellationToken cancellationToken)
    {
        lock (_sessionsLock)
        {
            if (_sessions.TryGetValue(chain, out var current) && current == session)
            {
                _sessions.Remove(chain);
                _retired.Add(session);
            }
        }

        var ns = await GetNamespaceAsync(cancellationToken).ConfigureAwait(false);
        _options.KeyCache?.Forget(ChainKeyCache.Scope(_profile.Gateway, _profile.CaFingerprint, ns, _profile.ClientId ?? "client", chain));
    }

    private byte[] RuntimeIdentityBytes(bool javaScript = false)
    {
        if ((javaScript ? _javaScriptRuntimeIdentity : _runtimeIdentity) is { } known)
        {
            return known;
        }

        try
        {
            // A JavaScript action runs in the JavaScript enclave, whose reference values lie beside the WASI enclave's.
            return javaScript
                ? _javaScriptRuntimeIdentity = ReferenceValues.Load(EnclaveRuntime.JavaScript, _options.ReferenceValuesPath).RuntimeIdentityValue
                : _runtimeIdentity = ReferenceValues.Load(_options.ReferenceValuesPath).RuntimeIdentityValue;
        }
        catch (ReferenceValuesException e)
        {
            throw new CarapaceClientException($"cannot compute measurements: {e.Message}", e);
        }
    }

    private static SealOptions SealOptions(string name, RequestId requestId, InvokeOptions options) =>
        new() { RequestId = requestId, Function = name, ContentType = options.ContentType };

    private static async Task<byte[]> SealAsync(ChainSession session, string name, RequestId requestId, Stream input, InvokeOptions options,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var buffer = new MemoryStream();
        await EnvelopeSealer.SealAsync(session.Keys.Entry, input, buffer, SealOptions(name, requestId, options), cancellationToken).ConfigureAwait(false);
        return buffer.ToArray();
    }

    private static string ActivationIdOf(GatewayResponse response) =>
        JsonBody(response) is { ValueKind: JsonValueKind.Object } json && json.TryGetProperty("activationId", out var id) && id.GetString() is { } text
            ? text
            : throw new GatewayException(GatewayFailure.BadResponse, "the gateway accepted the invocation but sent no activation id", response.StatusCode);

    private static (byte[] Envelope, IReadOnlyList<ReadOnlyMemory<byte>> Receipts) ResultParts(JsonElement result, string activationId)
    {
        try
        {
            if (result.ValueKind != JsonValueKind.Object || !result.TryGetProperty("envelope", out var envelope) || envelope.ValueKind != JsonValueKind.String)
            {
                throw new InvocationException(InvocationFailure.OutputInvalid,
                    $"activation {activationId} succeeded but the platform returned no sealed output", activationId: activationId);
            }

            var receipts = result.TryGetProperty("receipts", out var list) && list.ValueKind == JsonValueKind.Array
                ? list.EnumerateArray().Select(r => (ReadOnlyMemory<byte>)r.GetBytesFromBase64()).ToList()
                : [];
            return (envelope.GetBytesFromBase64(), receipts);
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException)
        {
            throw new InvocationException(InvocationFailure.OutputInvalid, $"the result of activation {activationId} is not valid base64 ({e.Message})",
                activationId: activationId, inner: e);
        }
    }

    private static IReadOnlyList<ReadOnlyMemory<byte>> ParseReceipts(string? header, string activationId)
    {
        if (string.IsNullOrEmpty(header))
        {
            return [];
        }

        try
        {
            return [.. header.Split(',').Select(r => (ReadOnlyMemory<byte>)Convert.FromBase64String(r.Trim()))];
        }
        catch (FormatException e)
        {
            throw new InvocationException(InvocationFailure.ReceiptsInvalid, $"the receipts of activation {activationId} are not base64 ({e.Message})",
                activationId: activationId, inner: e);
        }
    }

    private static JsonElement JsonBody(GatewayResponse response)
    {
        try
        {
            using var document = JsonDocument.Parse(response.Body);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return default;
        }
    }

    private static string? ErrorText(JsonElement json) =>
        json.ValueKind == JsonValueKind.Object && json.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.String ? error.GetString() : null;

    private static JsonElement? Annotation(GatewayActivation activation, string key)
    {
        if (activation.Json.ValueKind == JsonValueKind.Object && activation.Json.TryGetProperty("annotations", out var annotations)
            && annotations.ValueKind == JsonValueKind.Array)
        {
            foreach (var entry in annotations.EnumerateArray())
            {
                if (entry.TryGetProperty("key", out var k) && k.ValueKind == JsonValueKind.String && k.GetString() == key && entry.TryGetProperty("value", out var value))
                {
                    return value;
                }
            }
        }

        return null;
    }

    private sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
