using Microsoft.Extensions.Time.Testing;

namespace Carapace.Kms.Tests.Support;

/// <summary>A KMS over a real data folder with a fake clock, and owners to sign its policies.</summary>
internal sealed class KmsFixture : IDisposable
{
    public KmsFixture()
    {
        Service = Open();
    }

    public TempDir Dir { get; } = new();

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero));

    public Policies Owners { get; } = new();

    public KmsService Service { get; private set; }

    public KmsService Open() => new(new KmsOptions { DataDirectory = Dir.Path, TimeProvider = Time });

    /// <summary>Closes and reopens the service on the same folder.</summary>
    public KmsService Reopen()
    {
        Service.Dispose();
        Service = Open();
        return Service;
    }

    public void Dispose()
    {
        Service.Dispose();
        Owners.Dispose();
        Dir.Dispose();
    }
}
