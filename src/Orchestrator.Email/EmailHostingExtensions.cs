using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orchestrator.Core.Engine;
using Orchestrator.Core.Ports;

namespace Orchestrator.Email;

public static class EmailHostingExtensions
{
    /// <summary>
    /// Email delivery: <see cref="EmailOptions"/> from <c>Orchestrator:Email</c> (validated at start), an
    /// <see cref="IEmailSender"/> (SMTP when a host is configured, else the pickup folder) and the
    /// <see cref="OutboxDispatcher"/> hosted service, which needs the <see cref="IOutbox"/> of a storage adapter and the
    /// <see cref="SendingOptions"/> the engine's host binds (their frequency cap is judged again at hand-off).
    /// </summary>
    public static IHostApplicationBuilder AddEmail(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        var contentRoot = builder.Environment.ContentRootPath;

        services.AddOptions<EmailOptions>()
            .BindConfiguration(EmailOptions.SectionName)
            // Relative to the content root, not the current directory, so the folder does not move with `cd`.
            .PostConfigure(options =>
            {
                if (!string.IsNullOrWhiteSpace(options.PickupFolder))
                    options.PickupFolder = Path.GetFullPath(options.PickupFolder, contentRoot);
            })
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EmailOptions>, EmailOptionsValidator>());

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<SmtpEmailSender>();
        services.TryAddSingleton<PickupFolderEmailSender>();
        services.TryAddSingleton<IEmailSender>(provider => provider.GetRequiredService<IOptions<EmailOptions>>().Value.UsesSmtp
            ? provider.GetRequiredService<SmtpEmailSender>()
            : provider.GetRequiredService<PickupFolderEmailSender>());

        // One instance for both roles, so the worker can resolve it and call Wake() after committing sends.
        services.TryAddSingleton<OutboxDispatcher>();
        services.AddHostedService(provider => provider.GetRequiredService<OutboxDispatcher>());
        return builder;
    }
}
