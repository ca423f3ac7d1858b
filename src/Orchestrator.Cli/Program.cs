using System.CommandLine;
using Orchestrator.Cli.Commands;

namespace Orchestrator.Cli;

internal static class Program
{
    public static int Main(string[] args)
    {
        var root = new RootCommand("Orchestrator: journey orchestration for marketing email. Validate, simulate, preview and draw journeys.")
        {
            ValidateCommand.Create(),
            SimulateCommand.Create(),
            PreviewCommand.Create(),
            GraphCommand.Create(),
            BenchCommand.Create(),
            ReportCommand.Create(),
            TraceCommand.Create(),
            DbCommand.Create(),
        };
        return root.Parse(args).Invoke();
    }
}
