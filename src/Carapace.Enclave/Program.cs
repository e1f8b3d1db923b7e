using Carapace.Enclave.Host;

return await EnclaveMain.RunAsync(args).ConfigureAwait(false);
