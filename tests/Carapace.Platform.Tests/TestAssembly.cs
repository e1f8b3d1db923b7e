// Every test here starts a real platform, KMS and enclave processes; run the classes one after another so a 2-core
// CI machine runs each at full speed and the load test measures the platform, not its neighbours.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
