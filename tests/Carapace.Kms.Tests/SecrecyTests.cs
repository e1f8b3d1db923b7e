using System.Text;
using Carapace.Attestation;
using Carapace.Kms.Client.Secrets;
using Carapace.Kms.Secrets;
using Carapace.Kms.Tests.Support;

namespace Carapace.Kms.Tests;

/// <summary>No secret value (or edge key) ever appears in an error message, a ToString, the audit log or the database in the clear.</summary>
public sealed class SecrecyTests : IDisposable
{
    private const string Marker = "SECRET-MARKER-4be1d07c";
    private static readonly byte[] s_sgx = Convert.FromHexString(Policies.SgxHash);
    private readonly KmsFixture _kms = new();
    private readonly List<string> _texts = [];
    private readonly List<string> _forbidden = [];

    public void Dispose() => _kms.Dispose();

    private void Capture(Action action)
    {
        try
        {
            action();
        }
        catch (Exception e)
        {
            for (Exception? x = e; x is not null; x = x.InnerException)
            {
                _texts.Add(x.Message);
                _texts.Add(x.ToString());
            }

            return;
        }

        Assert.Fail("expected a failure");
    }

    [Fact]
    public void No_secret_value_or_key_reaches_errors_descriptions_or_the_audit_log()
    {
        var kms = _kms.Service;
        kms.SetPolicy(_kms.Owners.Sign(_kms.Owners.Build(), "alice"));
        kms.PutSecret("acme", "db-password", Encoding.UTF8.GetBytes(Marker));
        var markerBytes = Encoding.UTF8.GetBytes(Marker);

        using (var entitlement = kms.Releases.Decide("acme", "f", Attest.Sgx(s_sgx)))
        {
            _texts.Add(entitlement.ToString());
            _texts.Add(entitlement.Secret("db-password")!.ToString());
            Assert.Equal(markerBytes, entitlement.Secret("db-password")!.Value.ToArray());
            foreach (var key in entitlement.EdgeKeys)
            {
                var bytes = new byte[32];
                key.CopyTo(bytes);
                _texts.Add(key.ToString()!);
                // Edge keys appear nowhere below either.
                _forbidden.Add(Convert.ToHexString(bytes));
                _forbidden.Add(Convert.ToBase64String(bytes));
            }
        }

        // Every denial and failure path that handles a secret or a key.
        Capture(() => kms.Releases.Decide("acme", "f", Attest.Sgx(Attest.Bytes(32, 1))));
        Capture(() => kms.Releases.Decide("acme", "f", Attest.Sgx(s_sgx, debug: true)));
        Capture(() => kms.Releases.Decide("acme", "f", Attest.Sim(s_sgx)));
        Capture(() => kms.Releases.Decide("acme", "f", Attest.Rejected(EvidenceKind.Sgx)));
        Capture(() => kms.Releases.Decide("acme", "nope", Attest.Sgx(s_sgx)));
        Capture(() => kms.Release("acme", "f", Attest.Sgx(s_sgx), new byte[32], []));
        var nonce = kms.IssueNonce();
        Capture(() => kms.Release("acme", "f", Attest.Sgx(s_sgx), nonce.Value.Span, []));
        Capture(() => kms.PutSecret("acme", "undeclared", markerBytes));
        Capture(() => kms.PutSecret("acme", "db-password", new byte[SecretStore.MaxValueBytes + 1]));
        Capture(() => kms.SetPolicy(_kms.Owners.Sign(_kms.Owners.Build(), "alice")));
        Capture(() => kms.SetPolicy(markerBytes));

        RawSql.Execute(_kms.Dir.Database, "UPDATE secrets SET tag = zeroblob(16)");
        Capture(() => kms.Secrets.Get("acme", "db-password"));
        Capture(() => kms.Releases.Decide("acme", "f", Attest.Sgx(s_sgx)));

        _texts.AddRange(RawSql.Dump(_kms.Dir.Database, "audit"));
        _texts.AddRange(kms.Audit.Read().Select(r => r.ToString()));
        _texts.Add(kms.Audit.Verify().Message);

        _forbidden.Add(Marker);
        _forbidden.Add(Convert.ToHexString(markerBytes));
        _forbidden.Add(Convert.ToBase64String(markerBytes));
        Assert.True(_texts.Count > 30);
        foreach (var text in _texts)
        {
            foreach (var forbidden in _forbidden)
            {
                Assert.DoesNotContain(forbidden, text, StringComparison.OrdinalIgnoreCase);
            }
        }
    }
}
