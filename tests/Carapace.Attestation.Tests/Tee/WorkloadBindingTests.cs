using System.Security.Cryptography;
using Carapace.Attestation.Tee;
using FsCheck;
using FsCheck.Xunit;

namespace Carapace.Attestation.Tests.Tee;

public sealed class WorkloadBindingTests
{
    private static readonly byte[] Workload = SHA256.HashData("function"u8);
    private static readonly byte[] Bound = ReportData.Bind("key"u8, "nonce"u8);

    [Fact]
    public void Bind_puts_the_labelled_hash_first_and_the_workload_in_clear_second()
    {
        var reportData = WorkloadBinding.Bind(Workload, Bound);

        Assert.Equal(64, reportData.Length);
        Assert.Equal(SHA256.HashData([.. "carapace/tee/workload/v1"u8, .. Workload, .. Bound]), reportData[..32]);
        Assert.Equal(Workload, reportData[32..]);
    }

    [Fact]
    public void TryOpen_returns_the_workload_for_the_bound_data_it_was_made_with()
    {
        Assert.True(WorkloadBinding.TryOpen(WorkloadBinding.Bind(Workload, Bound), Bound, out var workload));
        Assert.Equal(Workload, workload);
    }

    [Fact]
    public void TryOpen_refuses_other_bound_data_and_a_swapped_workload()
    {
        var reportData = WorkloadBinding.Bind(Workload, Bound);
        var swapped = (byte[])reportData.Clone();
        SHA256.HashData("another function"u8).CopyTo(swapped, 32);

        Assert.False(WorkloadBinding.TryOpen(reportData, ReportData.Bind("key"u8, "other nonce"u8), out _));
        Assert.False(WorkloadBinding.TryOpen(swapped, Bound, out var none));
        Assert.Empty(none);
        Assert.False(WorkloadBinding.TryOpen(Bound, Bound, out _));
    }

    [Property(MaxTest = 200)]
    public bool Any_flipped_bit_breaks_the_binding(PositiveInt position)
    {
        var reportData = WorkloadBinding.Bind(Workload, Bound);
        var bit = position.Get % (64 * 8);
        reportData[bit / 8] ^= (byte)(1 << (bit % 8));
        return !WorkloadBinding.TryOpen(reportData, Bound, out _);
    }

    [Fact]
    public void Bind_refuses_wrong_sizes()
    {
        Assert.Throws<ArgumentException>(() => WorkloadBinding.Bind(new byte[31], Bound));
        Assert.Throws<ArgumentException>(() => WorkloadBinding.Bind(Workload, new byte[63]));
        Assert.Throws<ArgumentException>(() => new WorkloadEvidenceIssuer(TeeBackend.EphemeralSimulation().IssuerFor(Workload), new byte[48]));
    }
}
