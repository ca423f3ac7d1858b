using Orchestrator.Email;
using Orchestrator.Messaging;
using Orchestrator.Scheduling;
using Orchestrator.Storage;
using Orchestrator.Worker;
using Orchestrator.Worker.Http;

var builder = WebApplication.CreateBuilder(args);
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
