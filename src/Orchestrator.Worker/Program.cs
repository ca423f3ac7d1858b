using Orchestrator.Email;
using Orchestrator.Messaging;
using Orchestrator.Scheduling;
using Orchestrator.Storage;
using Orchestrator.Worker;
using Orchestrator.Worker.Http;
using Orchestrator.Worker.Startup;

try
{
    var builder = WebApplication.CreateBuilder(args);
    builder.AddJsonConsoleDefaults();
    builder.AddJourneyEngine();
    builder.AddStorage();
    builder.AddEmail();
    builder.AddMessaging();
    builder.AddScheduling();
    builder.AddDemo(args);

    var app = builder.Build();
    app.ConnectOutboxSignal();
    app.MapOrchestratorEndpoints();
    app.Run();
    return 0;
}
catch (Exception ex) when (StartupErrors.Describe(ex) is { } message)
{
    Console.Error.WriteLine(message);
    return StartupErrors.ConfigurationExitCode;
}
