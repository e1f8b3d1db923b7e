using System.CommandLine;
using Carapace.Cli.Infrastructure;

namespace Carapace.Cli.Cluster;

/// <summary>
/// <c>carapace cluster ca new</c> and <c>carapace cluster cert issue NODE</c>: the cluster's certificate authority,
/// which decides who may be a node (mutual TLS between nodes), and the node certificates it issues.
/// </summary>
internal static class ClusterCommands
{
    public static Command Build()
    {
        var cluster = new Command("cluster", "Cluster mode: the cluster CA and node certificates (run nodes with 'carapace node').");
        var ca = new Command("ca", "The cluster's certificate authority.");
        var caDir = new Option<string>("--dir") { Description = "The folder for ca.crt and ca.key (keep ca.key off the nodes). Default: ./cluster-ca.", HelpName = "DIR", DefaultValueFactory = _ => "cluster-ca" };
        var create = new Command("new", "Create the cluster CA: ca.crt (give it to every node) and ca.key (mode 0600; only for issuing node certificates).") { caDir };
        Examples.Set(create, "carapace cluster ca new --dir /srv/carapace/cluster-ca");
        create.SetHandler((parse, _) =>
        {
            var directory = Path.GetFullPath(parse.GetRequiredValue(caDir));
            try
            {
                var fingerprint = Carapace.Cluster.Security.ClusterAuthority.Create(directory);
                Console.Out.WriteLine($"cluster CA created in {directory}");
                Console.Out.WriteLine($"  certificate  {Path.Combine(directory, "ca.crt")} (SHA-256 {fingerprint})");
                Console.Out.WriteLine($"  key          {Path.Combine(directory, "ca.key")} (keep it off the nodes)");
                Console.Out.WriteLine("Next: carapace cluster cert issue NODE --ca " + directory);
                return Task.FromResult(ExitCodes.Ok);
            }
            catch (IOException e)
            {
                throw new CliFailure(e.Message, ExitCodes.IoError);
            }
        });
        ca.Add(create);

        var cert = new Command("cert", "Node certificates issued by the cluster CA.");
        var node = new Argument<string>("NODE") { Description = "The node's name (1-63 letters, digits, '-' or '.'); 'carapace node --name' must match." };
        var issuer = new Option<string>("--ca") { Description = "The folder holding the cluster CA (ca.crt, ca.key). Default: ./cluster-ca.", HelpName = "DIR", DefaultValueFactory = _ => "cluster-ca" };
        var output = new Option<string?>("--out")
        {
            Description = "The node's certificate folder: receives NODE.crt, NODE.key (mode 0600) and a copy of ca.crt; give it to 'carapace node --certs'. Default: ./NODE-certs.",
            HelpName = "DIR",
        };
        var issue = new Command("issue", "Issue a node certificate (valid one year) for mutual TLS between nodes.") { node, issuer, output };
        Examples.Set(issue, "carapace cluster cert issue node1 --ca cluster-ca --out node1-certs");
        issue.SetHandler((parse, _) =>
        {
            var name = parse.GetRequiredValue(node);
            var authority = Path.GetFullPath(parse.GetRequiredValue(issuer));
            var folder = Path.GetFullPath(parse.GetValue(output) ?? name + "-certs");
            try
            {
                var (certificate, key) = Carapace.Cluster.Security.ClusterAuthority.Issue(authority, name, folder);
                File.Copy(Path.Combine(authority, "ca.crt"), Path.Combine(folder, "ca.crt"), overwrite: true);
                Console.Out.WriteLine($"node certificate for '{name}' issued");
                Console.Out.WriteLine($"  certificate  {certificate}");
                Console.Out.WriteLine($"  key          {key}");
                Console.Out.WriteLine($"  cluster CA   {Path.Combine(folder, "ca.crt")}");
                Console.Out.WriteLine($"Next: carapace node --name {name} --certs {folder} --cluster CONNECTION");
                return Task.FromResult(ExitCodes.Ok);
            }
            catch (ArgumentException e)
            {
                throw new CliFailure(e.Message.Split(" (Parameter", 2)[0], ExitCodes.Usage);
            }
            catch (IOException e)
            {
                throw new CliFailure(e.Message, ExitCodes.IoError);
            }
        });
        cert.Add(issue);
        cluster.Add(ca);
        cluster.Add(cert);
        return cluster;
    }
}
