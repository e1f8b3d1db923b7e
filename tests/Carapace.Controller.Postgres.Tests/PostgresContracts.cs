using Carapace.Controller.Postgres.Tests.Support;
using Carapace.Controller.Tests.Activations;
using Carapace.Controller.Tests.Packages;
using Carapace.Controller.Tests.Registry;

namespace Carapace.Controller.Postgres.Tests;

// The store contracts of Carapace.Controller.Tests (run there on SQLite) on PostgreSQL, each test in a fresh schema.

public sealed class PostgresActivationStoreTests() : ActivationStoreContract(new PostgresBackend());

public sealed class PostgresActivationLifecycleTests() : ActivationLifecycleContract(new PostgresBackend());

public sealed class PostgresActivationRetentionTests() : ActivationRetentionContract(new PostgresBackend());

public sealed class PostgresActivationConcurrencyTests() : ActivationConcurrencyContract(new PostgresBackend());

public sealed class PostgresActionRegistryTests() : ActionRegistryContract(new PostgresBackend());

public sealed class PostgresPackageRegistryTests() : PackageRegistryContract(new PostgresBackend());
