using System.CommandLine;
using Backprop.Cli.Commands;
using Spectre.Console;

namespace Backprop.Cli;

/// <summary>The <c>backprop</c> command line: parsing with System.CommandLine, output through Spectre.Console.</summary>
internal static class App
{
    public const int Ok = 0, Failed = 1, Usage = 2;

    /// <summary>Parses and runs; exit code 0 on success, 1 for a training or data error, 2 for a usage error.</summary>
    public static int Run(string[] args, IAnsiConsole? console = null, TextWriter? error = null)
    {
        console ??= AnsiConsole.Console;
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
        };
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors) error.WriteLine($"error: {e.Message}");
            error.WriteLine("Run 'backprop --help' (or 'backprop <command> --help') for usage.");
            return Usage;
        }
        try
        {
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false, Output = console.Profile.Out.Writer, Error = error });
        }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or UnauthorizedAccessException or InvalidOperationException or NotSupportedException)
        {
            error.WriteLine($"error: {e.Message}");
            return Failed;
        }
    }
}
