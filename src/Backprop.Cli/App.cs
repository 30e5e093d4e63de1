using System.CommandLine;
using Backprop.Cli.Commands;
using Spectre.Console;

namespace Backprop.Cli;

/// <summary>The <c>backprop</c> command line: parsing with System.CommandLine, output through Spectre.Console.</summary>
internal static class App
{
    /// <summary>Exit codes: success, a training or data error, a usage error, and interrupted by Ctrl+C (128 + SIGINT, as shells report it).</summary>
    public const int Ok = 0, Failed = 1, Usage = 2, Interrupted = 130;

    /// <summary>Parses and runs; exit code 0 on success, 1 for a training or data error, 2 for a usage error, 130 when interrupted.</summary>
    public static int Run(string[] args, IAnsiConsole? console = null, TextWriter? error = null)
    {
        console ??= DefaultConsole();
        error ??= Console.Error;
        var root = new RootCommand("Backprop: train and inspect neural networks trained by backpropagation, in pure C#.")
        {
            TrainCommand.Create(console),
            EvalCommand.CreateEval(console),
            EvalCommand.CreatePredict(console),
            CompareCommand.Create(console),
            ExplainCommand.Create(console),
            DescendCommand.Create(console),
            GradientsCommand.Create(console),
            BenchCommand.Create(console),
            ExportCommand.Create(console),
            GenerateCommand.Create(console),
        };
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            string command = parse.CommandResult.Command == root ? "backprop" : $"backprop {parse.CommandResult.Command.Name}";
            error.WriteLine($"error: {string.Join("; ", parse.Errors.Select(Describe).Distinct())} (see '{command} --help')");
            return Usage;
        }
        try
        {
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false, Output = console.Profile.Out.Writer, Error = error });
        }
        catch (UsageException e)
        {
            error.WriteLine($"error: {OneLine(e.Message)}");
            return Usage;
        }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or UnauthorizedAccessException or InvalidOperationException or NotSupportedException)
        {
            error.WriteLine($"error: {OneLine(e.Message)}");
            return Failed;
        }
    }

    /// <summary>A parse error on one line, prefixed with the option it concerns when the message does not name it.</summary>
    private static string Describe(System.CommandLine.Parsing.ParseError e)
    {
        var message = string.Join(" ", e.Message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
        var option = e.SymbolResult switch
        {
            System.CommandLine.Parsing.OptionResult o => o.Option,
            System.CommandLine.Parsing.ArgumentResult { Parent: System.CommandLine.Parsing.OptionResult o } => o.Option,
            _ => null,
        };
        return option is null || message.Contains(option.Name, StringComparison.Ordinal) ? message : $"{option.Name}: {message}";
    }

    /// <summary>The first line of a message (anomaly mode appends a stack trace; one line is the contract).</summary>
    internal static string OneLine(string message) => message.Split('\n', 2)[0].TrimEnd('\r', ' ');

    /// <summary>
    /// The process's console. When stdout is not a terminal (piped to a file or another program) lines are never wrapped:
    /// Spectre.Console would otherwise assume 80 columns and break long lines.
    /// </summary>
    private static IAnsiConsole DefaultConsole()
    {
        var console = AnsiConsole.Console;
        if (Console.IsOutputRedirected) console.Profile.Width = NoWrapWidth;
        return console;
    }

    /// <summary>The width given to a console that must not wrap; output that fills the width (rules) is drawn narrower by the commands.</summary>
    public const int NoWrapWidth = 100_000;
}

/// <summary>
/// A usage error found only once a command has read its input (a prompt character outside a model's vocabulary, a run folder
/// of the wrong kind): exit code 2 with its one-line message, like the validation layer's errors.
/// </summary>
internal sealed class UsageException(string message) : ArgumentException(message);
