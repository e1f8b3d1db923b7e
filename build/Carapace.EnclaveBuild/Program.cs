using Carapace.EnclaveBuild;

return BuildSteps.Run(args);
