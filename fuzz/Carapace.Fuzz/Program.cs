using Carapace.Fuzz;

return Cli.Run(args);
