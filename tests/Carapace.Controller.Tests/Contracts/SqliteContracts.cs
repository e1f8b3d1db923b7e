using Carapace.Controller.Tests.Activations;
using Carapace.Controller.Tests.Packages;
using Carapace.Controller.Tests.Registry;

namespace Carapace.Controller.Tests.Contracts;

// The store contracts on the embedded platform's SQLite; tests/Carapace.Controller.Postgres.Tests runs the same on PostgreSQL.

public sealed class SqliteActivationStoreTests() : ActivationStoreContract(new SqliteBackend());

public sealed class SqliteActivationLifecycleTests() : ActivationLifecycleContract(new SqliteBackend());

public sealed class SqliteActivationRetentionTests() : ActivationRetentionContract(new SqliteBackend());

public sealed class SqliteActivationConcurrencyTests() : ActivationConcurrencyContract(new SqliteBackend());

public sealed class SqliteActionRegistryTests() : ActionRegistryContract(new SqliteBackend());

public sealed class SqlitePackageRegistryTests() : PackageRegistryContract(new SqliteBackend());
