using Orchestrator.Cli.Commands;

namespace Orchestrator.Cli.Tests;

public sealed class ValidateCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("orch-validate").FullName;

    public void Dispose() => Directory.Delete(_folder, true);

    [Fact]
    public void The_sample_journeys_are_valid()
    {
        using var output = new StringWriter();
        using var errors = new StringWriter();
        Assert.Equal(0, ValidateCommand.Run(RepoPaths.Journeys, output, errors));
        Assert.Equal("", errors.ToString());
    }

    [Fact]
    public void Errors_of_every_file_are_listed_as_file_line_col_and_the_exit_code_is_2()
    {
        var first = Path.Combine(_folder, "a.yaml");
        var second = Path.Combine(_folder, "b.yaml");
        File.WriteAllText(first, """
            id: a
            name: A
            entry:
              event: x.happened
            steps:
              - id: one
                wait: 1h
                next: on
              - id: two
                wait: 3x
            """);
        File.WriteAllText(second, """
            id: b
            name: B
            entry:
              event: y.happened
              when: "event.properties.total >="
            steps:
              - id: mail
                email:
                  template: nowhere
            """);
        using var output = new StringWriter();
        using var errors = new StringWriter();
        Assert.Equal(2, ValidateCommand.Run(_folder, output, errors));
        var text = errors.ToString();
        Assert.Contains($"{first}:10:11: wait '3x' is not a duration", text, StringComparison.Ordinal);
        Assert.Contains($"{first}:8:11: step 'one': next 'on' is not a step of this journey; did you mean 'one'?", text, StringComparison.Ordinal);
        Assert.Contains($"{second}:5:33: 'when' is not a valid expression", text, StringComparison.Ordinal);
        Assert.Contains($"{second}:9:17: template 'nowhere' not found", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_folder_without_journey_files_is_an_error_and_the_exit_code_is_2()
    {
        Directory.CreateDirectory(Path.Combine(_folder, "templates"));
        File.WriteAllText(Path.Combine(_folder, "templates", "hello.liquid"), "---\nsubject: Hi\n---\n<p>Hi</p>\n");
        using var output = new StringWriter();
        using var errors = new StringWriter();

        Assert.Equal(2, ValidateCommand.Run(_folder, output, errors));

        Assert.Contains($"{_folder}:1:1: no journey files (*.yaml or *.yml) in this folder", errors.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("valid", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_folder_that_does_not_exist_is_an_error_and_the_exit_code_is_2()
    {
        var missing = Path.Combine(_folder, "jounreys");
        using var output = new StringWriter();
        using var errors = new StringWriter();

        Assert.Equal(2, ValidateCommand.Run(missing, output, errors));

        Assert.Contains($"{missing}:1:1: the journeys folder does not exist", errors.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("valid", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void An_unused_template_is_a_warning_and_the_folder_is_still_valid()
    {
        Directory.CreateDirectory(Path.Combine(_folder, "templates"));
        File.WriteAllText(Path.Combine(_folder, "a.yaml"), """
            id: a
            name: A
            entry:
              event: x.happened
            steps:
              - id: one
                wait: 1h
            """);
        var unused = Path.Combine(_folder, "templates", "hello.liquid");
        File.WriteAllText(unused, "---\nsubject: Hi\n---\n<p>Hi</p>\n");
        using var output = new StringWriter();
        using var errors = new StringWriter();

        Assert.Equal(0, ValidateCommand.Run(_folder, output, errors));

        Assert.Contains($"{unused}:1:1: warning: template 'hello' is not used by any journey", errors.ToString(), StringComparison.Ordinal);
        Assert.Contains("1 journey(s) valid, 1 warning(s)", output.ToString(), StringComparison.Ordinal);
    }
}
