using Carapace.Attestation.Simulation;
using Carapace.Envelope.Keys;

namespace Carapace.Attestation.Tests.Simulation;

public sealed class SimulatedQuotingServiceTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "carapace-simq-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private string KeyPath => Path.Combine(_directory, SimulatedQuotingService.KeyFileName);

    [Fact]
    public void OpenOrCreate_creates_an_owner_only_key_file_in_an_owner_only_directory()
    {
        using var service = SimulatedQuotingService.OpenOrCreate(_directory);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(KeyPath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_directory));
        Assert.StartsWith("carapace-sim-quoting-key-v1:", File.ReadAllText(KeyPath), StringComparison.Ordinal);
        Assert.Equal([SimulatedQuotingService.KeyFileName], Directory.GetFiles(_directory).Select(Path.GetFileName));
    }

    [Fact]
    public void OpenOrCreate_reopens_the_same_key()
    {
        string first;
        using (var service = SimulatedQuotingService.OpenOrCreate(_directory))
        {
            first = service.KeyId;
        }

        using var again = SimulatedQuotingService.OpenOrCreate(_directory);

        Assert.Equal(first, again.KeyId);
        Assert.Equal(SimulatedQuotingService.ComputeKeyId(again.PublicKey.Span), again.KeyId);
    }

    [Fact]
    public void Evidence_from_a_reopened_key_verifies_with_the_first_public_key()
    {
        ReadOnlyMemory<byte> publicKey;
        using (var service = SimulatedQuotingService.OpenOrCreate(_directory))
        {
            publicKey = service.PublicKey.ToArray();
        }

        using var reopened = SimulatedQuotingService.OpenOrCreate(_directory);
        var evidence = SimulationFixture.Issue(reopened, SimulationFixture.ReportDataFor("n"));
        var result = new SimulatedEvidenceVerifier().Verify(evidence, new VerificationOptions { At = SimulationFixture.IssuedAt, SimulationQuotingKeys = [publicKey] });

        Assert.True(result.Verified, result.ToString());
    }

    [Fact]
    public void OpenOrCreate_refuses_a_key_file_other_users_can_read()
    {
        using (SimulatedQuotingService.OpenOrCreate(_directory))
        {
        }

        File.SetUnixFileMode(KeyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        var e = Assert.Throws<KeyFileException>(() => SimulatedQuotingService.OpenOrCreate(_directory));
        Assert.Contains("chmod 600", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OpenOrCreate_refuses_a_file_that_is_not_a_quoting_key()
    {
        Directory.CreateDirectory(_directory);
        File.WriteAllText(KeyPath, "carapace-sim-platform-v1:" + Convert.ToBase64String(new byte[32]) + "\n");
        File.SetUnixFileMode(KeyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        Assert.Throws<KeyFileException>(() => SimulatedQuotingService.OpenOrCreate(_directory));
    }

    [Fact]
    public void OpenOrCreate_refuses_a_key_that_is_not_a_valid_p256_scalar()
    {
        Directory.CreateDirectory(_directory);
        File.WriteAllText(KeyPath, "carapace-sim-quoting-key-v1:" + Convert.ToBase64String(new byte[32]) + "\n");
        File.SetUnixFileMode(KeyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var e = Assert.Throws<KeyFileException>(() => SimulatedQuotingService.OpenOrCreate(_directory));
        Assert.Contains("damaged", e.Message, StringComparison.Ordinal);
    }
}
