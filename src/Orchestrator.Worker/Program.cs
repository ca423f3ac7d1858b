namespace Orchestrator.Worker; internal static class Program { public static void Main() { } }
