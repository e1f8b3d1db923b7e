using Carapace.Cli;

return await CarapaceApp.RunAsync(args).ConfigureAwait(false);
