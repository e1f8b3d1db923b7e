using Carapace.Enclave.Host;
using Carapace.Enclave.Js;

return EnclaveMain.Run(args, new JsFlavor());
