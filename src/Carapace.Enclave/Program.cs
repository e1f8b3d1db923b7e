using Carapace.Enclave.Host;

return EnclaveMain.Run(args);
