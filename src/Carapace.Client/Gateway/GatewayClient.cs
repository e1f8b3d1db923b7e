using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Carapace.Client.Profiles;

namespace Carapace.Client.Gateway;

/// <summary>
/// Talks to a Carapace gateway over HTTPS pinned to the platform CA (<see cref="GatewayClientOptions.CaFingerprint"/>;
/// the system's roots are never used, the host name is still checked), authenticated with the namespace's
/// <c>uuid:key</c>. Covers the OpenWhisk-compatible management routes (actions, activations) and sends invocations
/// raw. Every failure is a <see cref="GatewayException"/>.
/// </summary>
public sealed class GatewayClient : IDisposable
{
    /// <summary>The media type of sealed envelopes on the invocation route.</summary>
    public const string EnvelopeMediaType = "application/vnd.carapace.envelope";

    /// <summary>The largest answer read (the JSON of an action with a large module, base64-encoded).</summary>
    public const long MaxResponseBytes = 128L * 1024 * 1024;

    private readonly HttpClient _http;
    private readonly CaPinValidator _pin;
    private readonly string _base;
    private X509Certificate2? _ownedCa;

    /// <summary>Creates a client; no connection is made until the first request.</summary>
    /// <exception cref="ArgumentException">The options are invalid; the message lists every problem.</exception>
    public GatewayClient(GatewayClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException("invalid gateway client options:" + string.Concat(problems.Select(p => "\n  - " + p)), nameof(options));
        }

        Endpoint = options.Endpoint.AbsoluteUri.EndsWith('/') ? options.Endpoint : new Uri(options.Endpoint.AbsoluteUri + "/");
        Namespace = options.Namespace;
        CaFingerprint = PlatformProfile.NormalizeFingerprint(options.CaFingerprint)!;
        _base = "api/v1/namespaces/" + Uri.EscapeDataString(Namespace) + "/";
        _pin = new CaPinValidator(Endpoint, CaFingerprint, options.CaCertificate, options.TimeProvider);
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
            SslOptions = new SslClientAuthenticationOptions
            {
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                RemoteCertificateValidationCallback = (_, certificate, chain, errors) => _pin.Validate(certificate, chain, errors),
            },
        };
        _http = new HttpClient(handler, disposeHandler: true)
        {
            BaseAddress = Endpoint,
            Timeout = options.Timeout,
            MaxResponseContentBufferSize = MaxResponseBytes,
        };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(options.Auth)));
    }

    /// <summary>The gateway's base address.</summary>
    public Uri Endpoint { get; }

    /// <summary>The namespace of the API paths (<c>_</c>: the credential's own).</summary>
    public string Namespace { get; }

    /// <summary>The pinned CA fingerprint.</summary>
    public string CaFingerprint { get; }

    /// <summary>
    /// A client for <paramref name="profile"/>'s gateway, pinned to its CA fingerprint, with the CA certificate from
    /// <see cref="PlatformProfile.CaCertificatePath"/> when that file exists.
    /// </summary>
    /// <exception cref="PlatformProfileException">The CA certificate file exists but cannot be read.</exception>
    public static GatewayClient Create(PlatformProfile profile, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var ca = profile.CaCertificatePath is { } path && File.Exists(path) ? PlatformProfile.LoadCaCertificate(path) : null;
        try
        {
            return new GatewayClient(new GatewayClientOptions
            {
                Endpoint = profile.Gateway,
                Auth = profile.Auth,
                CaFingerprint = profile.CaFingerprint,
                CaCertificate = ca,
                Namespace = profile.Namespace,
                Timeout = timeout ?? GatewayClientOptions.DefaultTimeout,
            }) { _ownedCa = ca };
        }
        catch
        {
            ca?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Creates action <paramref name="name"/> from a WebAssembly module (or, with <see cref="PutActionOptions.Overwrite"/>,
    /// stores a new version of it).
    /// </summary>
    /// <exception cref="GatewayException">The gateway refused it (409 exists, 400 invalid, 413 too large, …) or could not be reached.</exception>
    public async Task<GatewayAction> PutActionAsync(string name, ReadOnlyMemory<byte> module, PutActionOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new PutActionOptions();
        var body = new JsonObject
        {
            ["exec"] = JavaScriptKind.Is(options.Kind)
                // OpenWhisk's shape for JavaScript: the source as text (binary: false) and the entry point.
                ? new JsonObject { ["kind"] = options.Kind, ["code"] = JavaScriptKind.Source(module.Span), ["binary"] = false, ["main"] = options.Main ?? JavaScriptKind.DefaultMain }
                : new JsonObject { ["kind"] = "wasm:wasi", ["code"] = Convert.ToBase64String(module.Span) },
        };
        if (options.Image is { } image)
        {
            body["exec"]!["image"] = Convert.ToBase64String(image.Span);
        }

        if (options.MemoryMiB is not null || options.TimeoutMs is not null)
        {
            var limits = new JsonObject();
            if (options.MemoryMiB is { } memory)
            {
                limits["memory"] = memory;
            }

            if (options.TimeoutMs is { } timeout)
            {
                limits["timeout"] = timeout;
            }

            body["limits"] = limits;
        }

        var annotations = KeyValues(options.Annotations?.Where(a => a.Key is not ("confidential" or "exec")));
        annotations.Add(new JsonObject { ["key"] = "confidential", ["value"] = options.Confidential });
        body["annotations"] = annotations;
        if (options.Parameters is not null)
        {
            body["parameters"] = KeyValues(options.Parameters);
        }

        var bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
        using var request = new HttpRequestMessage(HttpMethod.Put, ActionPath(name) + (options.Overwrite ? "?overwrite=true" : ""))
        {
            Content = options.UploadProgress is { } progress ? new ProgressContent(bytes, "application/json", progress).Typed() : Json(bytes),
        };
        var json = await SendJsonAsync(request, $"store action '{name}'", cancellationToken).ConfigureAwait(false);
        return Read(json, GatewayJson.Action, "an action");
    }

    /// <summary>
    /// Creates (or with <paramref name="overwrite"/> replaces) sequence <paramref name="name"/>: an action of kind
    /// <c>sequence</c> whose components are <paramref name="components"/>, fully qualified (<c>/ns/action</c>).
    /// </summary>
    /// <exception cref="GatewayException">The gateway refused it (409 exists, 400 invalid or unknown component, …) or could not be reached.</exception>
    public async Task<GatewayAction> PutSequenceAsync(string name, IReadOnlyList<string> components, bool overwrite = false,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(components);
        var body = new JsonObject
        {
            ["exec"] = new JsonObject { ["kind"] = "sequence", ["components"] = new JsonArray([.. components.Select(c => (JsonNode)c)]) },
        };
        using var request = new HttpRequestMessage(HttpMethod.Put, ActionPath(name) + (overwrite ? "?overwrite=true" : ""))
        {
            Content = Json(Encoding.UTF8.GetBytes(body.ToJsonString())),
        };
        var json = await SendJsonAsync(request, $"store sequence '{name}'", cancellationToken).ConfigureAwait(false);
        return Read(json, GatewayJson.Action, "an action");
    }

    /// <summary>The gateway's <c>/api/v1/carapace/info</c>: the credential's namespace and the KMS the platform uses.</summary>
    /// <exception cref="GatewayException">The request failed.</exception>
    public async Task<GatewayInfo> GetInfoAsync(CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/v1/carapace/info");
        return Read(await SendJsonAsync(request, "get the platform's info", cancellationToken).ConfigureAwait(false), GatewayJson.Info, "platform info");
    }

    /// <summary>Action <paramref name="name"/>, with its module unless <paramref name="withCode"/> is false.</summary>
    /// <exception cref="GatewayException">It does not exist (404), or another failure.</exception>
    public async Task<GatewayAction> GetActionAsync(string name, bool withCode = true, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, ActionPath(name) + (withCode ? "" : "?code=false"));
        return Read(await SendJsonAsync(request, $"get action '{name}'", cancellationToken).ConfigureAwait(false), GatewayJson.Action, "an action");
    }

    /// <summary>The namespace's actions (without modules), one page.</summary>
    /// <exception cref="GatewayException">The request failed.</exception>
    public async Task<IReadOnlyList<GatewayAction>> ListActionsAsync(int? skip = null, int? limit = null, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, _base + "actions" + Query(("skip", skip?.ToString(CultureInfo.InvariantCulture)),
            ("limit", limit?.ToString(CultureInfo.InvariantCulture))));
        var json = await SendJsonAsync(request, "list actions", cancellationToken).ConfigureAwait(false);
        return ReadList(json, GatewayJson.Action, "an action list");
    }

    /// <summary>Deletes action <paramref name="name"/> and returns it as it was.</summary>
    /// <exception cref="GatewayException">It does not exist (404), or another failure.</exception>
    public async Task<GatewayAction> DeleteActionAsync(string name, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, ActionPath(name));
        return Read(await SendJsonAsync(request, $"delete action '{name}'", cancellationToken).ConfigureAwait(false), GatewayJson.Action, "an action");
    }

    /// <summary>The namespace's activations, newest first, optionally of one action; with <paramref name="docs"/> each has its response and logs.</summary>
    /// <exception cref="GatewayException">The request failed.</exception>
    public async Task<IReadOnlyList<GatewayActivation>> ListActivationsAsync(string? name = null, int? skip = null, int? limit = null, bool docs = false,
        CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, _base + "activations" + Query(("name", name),
            ("skip", skip?.ToString(CultureInfo.InvariantCulture)), ("limit", limit?.ToString(CultureInfo.InvariantCulture)), ("docs", docs ? "true" : null)));
        var json = await SendJsonAsync(request, "list activations", cancellationToken).ConfigureAwait(false);
        return ReadList(json, GatewayJson.Activation, "an activation list");
    }

    /// <summary>Activation <paramref name="activationId"/>.</summary>
    /// <exception cref="GatewayException">It does not exist in this namespace (404), the id is malformed (400), or another failure.</exception>
    public async Task<GatewayActivation> GetActivationAsync(string activationId, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, ActivationPath(activationId));
        return Read(await SendJsonAsync(request, $"get activation {activationId}", cancellationToken).ConfigureAwait(false), GatewayJson.Activation,
            "an activation");
    }

    /// <summary>The logs of activation <paramref name="activationId"/>.</summary>
    /// <exception cref="GatewayException">It does not exist in this namespace (404), or another failure.</exception>
    public async Task<GatewayActivationLogs> GetActivationLogsAsync(string activationId, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, ActivationPath(activationId) + "/logs");
        return Read(await SendJsonAsync(request, $"get the logs of activation {activationId}", cancellationToken).ConfigureAwait(false),
            GatewayJson.Logs, "activation logs");
    }

    /// <summary>The response of activation <paramref name="activationId"/>.</summary>
    /// <exception cref="GatewayException">It does not exist or has not finished yet (404), or another failure.</exception>
    public async Task<GatewayActivationResponse> GetActivationResultAsync(string activationId, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, ActivationPath(activationId) + "/result");
        return Read(await SendJsonAsync(request, $"get the result of activation {activationId}", cancellationToken).ConfigureAwait(false),
            GatewayJson.Response, "an activation result");
    }

    /// <summary>
    /// Invokes action <paramref name="name"/> with <paramref name="body"/> as it is (a sealed envelope with content
    /// type <see cref="EnvelopeMediaType"/>, or JSON for a plaintext action) and returns the answer raw, whatever its
    /// status: a failed function is a 502 that carries the activation.
    /// </summary>
    /// <exception cref="GatewayException">The gateway could not be reached, was not trusted, or did not answer in time.</exception>
    public async Task<GatewayResponse> InvokeAsync(string name, HttpContent body, bool blocking = true, bool result = false,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        using var request = new HttpRequestMessage(HttpMethod.Post, ActionPath(name)
            + Query(("blocking", blocking ? "true" : "false"), ("result", result ? "true" : "false")))
        {
            Content = body,
        };
        using var response = await SendAsync(request, $"invoke action '{name}'", cancellationToken).ConfigureAwait(false);
        var bytes = await ReadBodyAsync(response, $"invoke action '{name}'", cancellationToken).ConfigureAwait(false);
        var headers = new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, values) in response.Headers.Concat(response.Content.Headers))
        {
            headers[key] = [.. values];
        }

        return new GatewayResponse(response.StatusCode, headers, response.Content.Headers.ContentType?.MediaType, bytes);
    }

    /// <summary>Closes the connections.</summary>
    public void Dispose()
    {
        _http.Dispose();
        _ownedCa?.Dispose();
    }

    private string ActionPath(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return _base + "actions/" + Uri.EscapeDataString(name);
    }

    private string ActivationPath(string activationId)
    {
        ArgumentException.ThrowIfNullOrEmpty(activationId);
        return _base + "activations/" + Uri.EscapeDataString(activationId);
    }

    private async Task<JsonElement> SendJsonAsync(HttpRequestMessage request, string what, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(request, what, cancellationToken).ConfigureAwait(false);
        var body = await ReadBodyAsync(response, what, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw Rejection(response, body, what);
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new GatewayException(GatewayFailure.BadResponse, $"the gateway at {Endpoint} answered a request to {what} with a body that is not JSON",
                response.StatusCode, inner: e);
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, string what, CancellationToken cancellationToken)
    {
        try
        {
            return await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e) when (_pin.TakeFailure() is { } failure)
        {
            throw new GatewayException(GatewayFailure.Untrusted, $"refusing to {what}: {failure}", inner: e);
        }
        catch (HttpRequestException e)
        {
            throw Unreachable(e, what);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new GatewayException(GatewayFailure.TimedOut,
                $"the gateway at {Endpoint} did not answer within {_http.Timeout.TotalSeconds:0} s when asked to {what}", inner: e);
        }
    }

    private async Task<byte[]> ReadBodyAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw Unreachable(e, what);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new GatewayException(GatewayFailure.TimedOut, $"the gateway at {Endpoint} did not finish its answer when asked to {what}", inner: e);
        }
    }

    private GatewayException Unreachable(HttpRequestException e, string what)
    {
        var cause = e.InnerException is { } inner and (SocketException or IOException or AuthenticationException) ? inner.Message : e.Message;
        var hint = e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused }
            ? "; is the platform running? start it with 'carapace up'"
            : "";
        return new GatewayException(GatewayFailure.Unreachable, $"cannot {what}: the gateway at {Endpoint} cannot be reached ({cause}){hint}", inner: e);
    }

    private GatewayException Rejection(HttpResponseMessage response, byte[] body, string what)
    {
        var status = response.StatusCode;
        string? error = null;
        string? code = null;
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                error = document.RootElement.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;
                code = document.RootElement.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
            }
        }
        catch (JsonException)
        {
        }

        var hint = status switch
        {
            HttpStatusCode.Unauthorized => $"; check the namespace credential (auth in platform.json, or {PlatformProfile.AuthVariable})",
            HttpStatusCode.Forbidden => $"; this credential may not use namespace '{Namespace}'",
            HttpStatusCode.Conflict => "; overwrite it to store a new version",
            HttpStatusCode.TooManyRequests => "; the platform is busy, retry later",
            >= HttpStatusCode.InternalServerError => code is null ? "; retry later" : $"; retry later, or report request {code}",
            _ => "",
        };
        var text = error is null ? "" : ": " + error.TrimEnd('.');
        var failure = status == HttpStatusCode.NotFound && response.Headers.RetryAfter is not null ? GatewayFailure.Unfinished : GatewayFailure.Rejected;
        return new GatewayException(failure,
            $"the gateway at {Endpoint} refused to {what}: {(int)status} {response.ReasonPhrase ?? status.ToString()}{text}{hint}", status, code, error);
    }

    private T Read<T>(JsonElement json, Func<JsonElement, T> read, string what)
    {
        try
        {
            return read(json);
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException)
        {
            throw new GatewayException(GatewayFailure.BadResponse, $"the gateway at {Endpoint} sent {what} this client cannot read ({e.Message})", inner: e);
        }
    }

    private IReadOnlyList<T> ReadList<T>(JsonElement json, Func<JsonElement, T> read, string what) =>
        json.ValueKind == JsonValueKind.Array
            ? [.. json.EnumerateArray().Select(item => Read(item, read, what))]
            : throw new GatewayException(GatewayFailure.BadResponse, $"the gateway at {Endpoint} sent {what} that is not a JSON array");

    private static ByteArrayContent Json(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        return content;
    }

    private static JsonArray KeyValues(IEnumerable<KeyValuePair<string, JsonNode?>>? entries) =>
        new([.. (entries ?? []).Select(e => (JsonNode)new JsonObject { ["key"] = e.Key, ["value"] = e.Value?.DeepClone() })]);

    private static string Query(params (string Name, string? Value)[] arguments)
    {
        var present = arguments.Where(a => a.Value is not null).Select(a => a.Name + "=" + Uri.EscapeDataString(a.Value!)).ToList();
        return present.Count == 0 ? "" : "?" + string.Join("&", present);
    }
}
