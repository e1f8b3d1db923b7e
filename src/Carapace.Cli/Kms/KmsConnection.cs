using System.CommandLine;
using System.Security.Cryptography;
using System.Text;
using Carapace.Attestation.Simulation;
using Carapace.Cli.Attestation;
using Carapace.Envelope.Keys;
using Carapace.Cli.Infrastructure;
using Carapace.Kms.Client;

namespace Carapace.Cli.Kms;

/// <summary>
/// The options that say which KMS a client command talks to, and the client they make: <c>--kms URL</c> with the
/// simulation quoting key from <c>--quoting-key FILE</c> (default: this user's <c>$CARAPACE_HOME/sim/quoting.key</c>),
/// or else the KMS recorded in <c>&lt;--data-dir&gt;/kms/endpoint.json</c> (default data dir <c>$CARAPACE_HOME</c>)
/// with the quoting key recorded there — or, for a KMS in a TDX or SEV-SNP confidential VM, the TEE configuration it
/// was started with (trusted VM images, roots, collateral). The KMS must attest this build's KMS measurement either way.
/// </summary>
internal sealed class KmsConnection
{
    /// <summary>The loud line printed on stderr whenever a command trusts a simulated KMS.</summary>
    public const string Banner =
        "WARNING: SIMULATION KMS — its attestation is signed by a software quoting key, not by hardware; anyone with root on its host can read its secrets. Never use it in production.";

    private readonly Option<string?> _dataDir = DataDirOption("The Carapace data directory whose running KMS to use (its kms/endpoint.json). Default: $CARAPACE_HOME (~/.carapace).");

    private readonly Option<string?> _kms = new("--kms")
    {
        Description = "The KMS's https:// address, instead of the one recorded in the data directory.",
        HelpName = "URL",
    };

    private readonly Option<string?> _quotingKey = new("--quoting-key")
    {
        Description = "With --kms: the simulation quoting public key the KMS's evidence must be signed with (PEM, DER or base64 of the " +
            "SubjectPublicKeyInfo). Default: the public half of $CARAPACE_HOME/sim/quoting.key.",
        HelpName = "FILE",
    };

    /// <summary><c>--data-dir DIR</c> with the given description.</summary>
    public static Option<string?> DataDirOption(string description) => new("--data-dir") { Description = description, HelpName = "DIR" };

    /// <summary>The data directory an option names, or <c>$CARAPACE_HOME</c>.</summary>
    public static string DataDirectory(ParseResult parse, Option<string?> option) => parse.GetValue(option) ?? CarapaceHome.Directory;

    /// <summary>The data directory the options name, or <c>$CARAPACE_HOME</c>.</summary>
    public string DataDirectory(ParseResult parse) => DataDirectory(parse, _dataDir);

    public void AddTo(Command command)
    {
        command.Add(_dataDir);
        command.Add(_kms);
        command.Add(_quotingKey);
    }

    /// <summary>A client for the chosen KMS; prints the simulation banner on stderr.</summary>
    public KmsClient Connect(ParseResult parse)
    {
        Uri endpoint;
        byte[] quotingKey;
        if (parse.GetValue(_kms) is { } url)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var parsed) || parsed.Scheme != Uri.UriSchemeHttps)
            {
                throw new CliFailure($"--kms expects an https:// address such as https://127.0.0.1:7443/, not '{url}'", ExitCodes.Usage);
            }

            endpoint = parsed;
            quotingKey = parse.GetValue(_quotingKey) is { } file
                ? ReadPublicKey(file)
                : LocalSimulationKey.TryOpenPublicKey()
                  ?? throw new CliFailure(
                      $"--kms needs --quoting-key FILE: the simulation quoting key the KMS's evidence is signed with (there is none in {LocalSimulationKey.Directory})",
                      ExitCodes.Usage);
        }
        else
        {
            if (parse.GetValue(_quotingKey) is not null)
            {
                throw new CliFailure("--quoting-key goes with --kms; with --data-dir the key recorded in kms/endpoint.json is used", ExitCodes.Usage);
            }

            var recorded = EndpointFile.Read(EndpointFile.PathIn(DataDirectory(parse, _dataDir)));
            if (recorded.Tee != "sim")
            {
                return new KmsClient(recorded.Url, recorded.Trust());
            }

            endpoint = recorded.Url;
            quotingKey = recorded.QuotingKey;
        }

        Console.Error.WriteLine(Banner);
        return new KmsClient(endpoint, KmsServerTrust.Simulation(quotingKey));
    }

    /// <summary>A P-256 public key from PEM (<c>PUBLIC KEY</c>), DER or base64 text of the DER SubjectPublicKeyInfo.</summary>
    private static byte[] ReadPublicKey(string path)
    {
        if (!File.Exists(path))
        {
            throw new CliFailure($"quoting key file {path} does not exist", ExitCodes.IoError);
        }

        var bytes = File.ReadAllBytes(path);
        var text = Encoding.ASCII.GetString(bytes).Trim();
        using var key = ECDsa.Create();
        try
        {
            if (text.StartsWith("-----BEGIN", StringComparison.Ordinal))
            {
                key.ImportFromPem(text);
            }
            else
            {
                key.ImportSubjectPublicKeyInfo(LooksLikeBase64(text) ? Convert.FromBase64String(text) : bytes, out _);
            }

            return key.ExportParameters(false).Curve.Oid?.Value == "1.2.840.10045.3.1.7"
                ? key.ExportSubjectPublicKeyInfo()
                : throw new CryptographicException("not on P-256");
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException or FormatException)
        {
            throw new CliFailure($"{path} is not a simulation quoting public key: it must be a P-256 public key as PEM, DER or base64 ({e.Message})");
        }
    }

    private static bool LooksLikeBase64(string text) => text.Length > 0 && text.All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '/' or '=');

    /// <summary>Where a new KMS's simulation quoting key lives (the default <see cref="SimulatedQuotingService"/> folder).</summary>
    public static string SimulationDirectory => LocalSimulationKey.Directory;
}
