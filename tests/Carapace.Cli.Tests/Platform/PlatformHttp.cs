using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Carapace.Client.Profiles;
using Carapace.Envelope.Format;
using Carapace.Envelope.Keys;
using Carapace.Envelope.Sealing;
using Carapace.Kms.Client;
using Carapace.Kms.Client.Policy;
using Carapace.Kms.Client.Release;

namespace Carapace.Cli.Tests.Platform;

/// <summary>
/// A test's own client of a running <c>carapace up</c>, as raw as a user's: HTTPS pinned to the data directory's CA,
/// the namespace credential of <c>platform.json</c>, chain keys from the KMS with the profile's client key. It sees every
/// status code and header, which the SDK would turn into exceptions.
/// </summary>
internal sealed class PlatformHttp : IDisposable
{
    private const string EnvelopeType = "application/vnd.carapace.envelope";
    private readonly X509Certificate2 _ca;

    private PlatformHttp(string dataDirectory, PlatformProfile profile, X509Certificate2 ca)
    {
        DataDirectory = dataDirectory;
        Profile = profile;
        _ca = ca;
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, certificate, _, _) => ChainsToCa(certificate) },
            MaxConnectionsPerServer = 32,
        };
        Http = new HttpClient(handler) { BaseAddress = profile.Gateway, Timeout = TimeSpan.FromSeconds(90) };
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(profile.Auth)));
    }

    public string DataDirectory { get; }

    public PlatformProfile Profile { get; }

    public HttpClient Http { get; }

    public static PlatformHttp Connect(string dataDirectory)
    {
        var profile = PlatformProfile.Load(dataDirectory);
        return new PlatformHttp(dataDirectory, profile, PlatformProfile.LoadCaCertificate(PlatformProfile.CaCertificatePathIn(dataDirectory)));
    }

    /// <summary>The client keys of chain <paramref name="chain"/>, from the KMS that <c>platform.json</c> names now.</summary>
    public async Task<ChainKeys> KeysAsync(string chain)
    {
        var kms = PlatformProfile.Load(DataDirectory).Kms!;
        using var client = new KmsClient(new Uri(kms.Url), KmsServerTrust.Simulation(Convert.FromBase64String(kms.QuotingKey)));
        using var key = OwnerKey.Load(Path.Combine(DataDirectory, "client.key"));
        return await client.GetChainKeysAsync(Profile.Namespace, chain, key, "cli");
    }

    /// <summary>Invokes <paramref name="action"/> on a fresh envelope sealed with <paramref name="entry"/>.</summary>
    public async Task<Answer> InvokeAsync(string action, EdgeKey entry, bool blocking = true, CancellationToken cancellationToken = default)
    {
        var envelope = EnvelopeSealer.Seal(entry, Encoding.UTF8.GetBytes("load"), new SealOptions { Function = action, RequestId = RequestId.New() });
        using var content = new ByteArrayContent(envelope);
        content.Headers.ContentType = new MediaTypeHeaderValue(EnvelopeType);
        using var response = await Http.PostAsync($"api/v1/namespaces/_/actions/{action}?blocking={(blocking ? "true" : "false")}", content, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        string? id = response.Headers.TryGetValues("Carapace-Activation-Id", out var ids) ? ids.Single() : null;
        if (id is null && response.StatusCode == HttpStatusCode.Accepted)
        {
            using var json = JsonDocument.Parse(body);
            id = json.RootElement.GetProperty("activationId").GetString();
        }

        var retryAfter = response.Headers.RetryAfter?.Delta;
        return new Answer(response.StatusCode, id, retryAfter, body);
    }

    /// <summary><c>/api/v1/carapace/info</c>.</summary>
    public async Task<JsonElement> InfoAsync()
    {
        using var json = JsonDocument.Parse(await Http.GetStringAsync("api/v1/carapace/info"));
        return json.RootElement.Clone();
    }

    /// <summary>One activation record; null when the gateway does not know it.</summary>
    public async Task<JsonElement?> ActivationAsync(string id)
    {
        using var response = await Http.GetAsync($"api/v1/namespaces/_/activations/{id}");
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        response.EnsureSuccessStatusCode();
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.Clone();
    }

    /// <summary>Polls <c>/info</c> until <paramref name="condition"/> holds on its <c>kms.health</c>; fails after <paramref name="timeout"/>.</summary>
    public async Task<JsonElement> WaitForKmsAsync(Func<JsonElement, bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        JsonElement health = default;
        while (DateTime.UtcNow < deadline)
        {
            health = (await InfoAsync()).GetProperty("kms").GetProperty("health");
            if (condition(health))
            {
                return health;
            }

            await Task.Delay(20);
        }

        throw new TimeoutException($"the KMS did not become {what} within {timeout.TotalSeconds} s; last health: {health}");
    }

    public void Dispose()
    {
        Http.Dispose();
        _ca.Dispose();
    }

    private bool ChainsToCa(X509Certificate? certificate)
    {
        if (certificate is null)
        {
            return false;
        }

        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(_ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(leaf);
    }

    /// <summary>What the gateway answered an invocation.</summary>
    public sealed record Answer(HttpStatusCode Status, string? ActivationId, TimeSpan? RetryAfter, string Body)
    {
        public override string ToString() =>
            $"{(int)Status} activation {ActivationId ?? "-"}{(RetryAfter is { } r ? $" retry-after {r.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s" : "")}: {Body[..Math.Min(Body.Length, 300)]}";
    }
}

/// <summary>
/// Blocking invocations of one warm action from a few concurrent callers, until stopped (or a deadline), keeping every
/// answer: what a load of users sees while the test breaks something.
/// </summary>
internal sealed class InvocationLoad : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new(TimeSpan.FromMinutes(5));
    private readonly Task[] _callers;

    public InvocationLoad(PlatformHttp platform, string action, EdgeKey entry, int callers = 3)
    {
        _callers = [.. Enumerable.Range(0, callers).Select(_ => Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    Answers.Add(await platform.InvokeAsync(action, entry, cancellationToken: _stop.Token));
                }
                catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                {
                    return;
                }
                catch (HttpRequestException e)
                {
                    Errors.Add(e.Message);
                    await Task.Delay(50);
                }
            }
        }))];
    }

    /// <summary>Every answer so far.</summary>
    public ConcurrentBag<PlatformHttp.Answer> Answers { get; } = [];

    /// <summary>Requests that got no HTTP answer at all (the gateway was down).</summary>
    public ConcurrentBag<string> Errors { get; } = [];

    /// <summary>Waits until at least <paramref name="count"/> more answers arrived (at most <paramref name="timeout"/>).</summary>
    public async Task WaitForMoreAsync(int count, TimeSpan timeout)
    {
        var target = Answers.Count + count;
        var deadline = DateTime.UtcNow + timeout;
        while (Answers.Count < target)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the load got fewer than {count} answers within {timeout.TotalSeconds} s ({Answers.Count} in all; errors: {string.Join("; ", Errors.Take(3))})");
            }

            await Task.Delay(20);
        }
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_callers).WaitAsync(TimeSpan.FromSeconds(120));
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }
}
