using Carapace.Enclave.Host;
using Carapace.Enclave.Wasm;

return EnclaveMain.Run(args, new WasmFlavor());
