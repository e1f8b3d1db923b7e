namespace Carapace.Controller.Postgres.Tests;

/// <summary>The PostgreSQL store is untrusted code, like the controller it serves: no key, no plaintext, no trusted program.</summary>
public sealed class TrustBoundaryTests
{
    [Fact]
    public void No_type_of_the_PostgreSQL_store_references_trusted_code_keys_or_plaintext()
    {
        var assembly = ReferencedTypes.Read(Path.Combine(AppContext.BaseDirectory, "Carapace.Controller.Postgres.dll"));

        Assert.NotEmpty(assembly.ByType);
        Assert.Empty(TrustRules.Offenders(assembly));
    }
}
