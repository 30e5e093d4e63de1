using System.Diagnostics;
using Spectre.Console;

namespace Backprop.Cli.Tests;

/// <summary>Runs the <c>backprop</c> command in-process (through <see cref="App.Run"/>) or as a real child process.</summary>
internal static class CliRunner
{
    /// <summary>Runs in-process with a non-interactive console 200 columns wide; returns the exit code, stdout and stderr.</summary>
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 200;
        int code = App.Run(args, console, error);
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>Runs <c>dotnet Backprop.Cli.dll ARGS</c> with stdout and stderr redirected (not a terminal).</summary>
    public static (int Code, string Out, string Err) Child(params string[] args) => Child(new Dictionary<string, string?>(), args);

    /// <summary><see cref="Child(string[])"/> with <paramref name="environment"/> set (a null value removes a variable).</summary>
    public static (int Code, string Out, string Err) Child(IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "Backprop.Cli.dll");
        var start = new ProcessStartInfo("dotnet", [cli, .. args]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var (name, value) in environment) start.Environment[name] = value;
        using var p = Process.Start(start)!;
        var err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(TimeSpan.FromSeconds(120))) { p.Kill(entireProcessTree: true); throw new TimeoutException($"backprop {string.Join(' ', args)} did not finish in 120 s"); }
        return (p.ExitCode, output, err.Result);
    }

    /// <summary>Asserts a failure: the exit code, and exactly one line on stderr that contains every given fragment.</summary>
    public static void AssertOneLineError((int Code, string Out, string Err) result, int code, params string[] fragments)
    {
        Assert.True(result.Code == code, $"exit {result.Code}, expected {code}; stderr: {result.Err}; stdout: {result.Out}");
        var lines = result.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one line on stderr, got {lines.Length}:\n{result.Err}");
        Assert.StartsWith("error: ", lines[0]);
        foreach (var f in fragments) Assert.Contains(f, lines[0]);
    }
}
