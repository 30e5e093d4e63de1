using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Backprop.Cli.Output;
using Backprop.Cli.Training;
using Spectre.Console;

namespace Backprop.Cli.Commands;

/// <summary><c>backprop compare</c>: the tutorials' comparisons — optimizers, or batch modes — from the same initial weights.</summary>
internal static class CompareCommand
{
    public static Command Create(IAnsiConsole console)
    {
        var dataset = Options.Dataset(); var dataDir = Options.DataDir(); var labelColumn = Options.LabelColumn();
        var optimizers = new Option<string?>("--optimizers") { Description = "comma-separated optimizers to compare (default sgd,momentum,adagrad,rmsprop,adam)" }.Words(TrainOptions.Optimizers);
        var batchSizes = new Option<string?>("--batch-sizes") { Description = "compare batch modes instead, e.g. full,1,32 (batch GD, SGD, mini-batch)" }.Words(["full"], positiveInts: true);
        var optimizer = new Option<string>("--optimizer") { Description = "optimizer used when comparing batch sizes", DefaultValueFactory = _ => "sgd" };
        optimizer.AcceptOnlyFromAmong(TrainOptions.Optimizers);
        var epochs = new Option<int>("--epochs", "-e") { Description = "epochs per run", DefaultValueFactory = _ => 10 }.AtLeast(1);
        var batchSize = new Option<int>("--batch-size", "-b") { Description = "batch size when comparing optimizers", DefaultValueFactory = _ => 32 }.AtLeast(1);
        var layers = new Option<string>("--layers") { Description = "hidden layer sizes", DefaultValueFactory = _ => "32" }.PositiveInts();
        var lr = new Option<double?>("--lr") { Description = "learning rate for every run (default: each optimizer's default; 0.01 when comparing batch sizes)" }.Within(0, double.PositiveInfinity, lowOpen: true);
        var seed = Options.Seed(); var threads = Options.Threads(); var output = Options.Out();
        var command = new Command("compare", "Train the same network from the same initial weights with several optimizers or batch sizes, and chart their losses.")
        {
            dataset, dataDir, labelColumn, optimizers, batchSizes, optimizer, epochs, batchSize, layers, lr, seed, threads, output,
        };
        command.SetAction(r =>
        {
            Options.ApplyThreads(r.GetValue(threads), r.InvocationConfiguration.Error);
            long s = r.GetValue(seed);
            var data = DataSource.Load(r.GetValue(dataset)!, r.GetValue(dataDir), r.GetValue(labelColumn)!, s);
            var hidden = Options.Ints(r.GetValue(layers)!, "--layers");
            var runs = new List<(string Name, TrainOptions Options)>();
            if (r.GetValue(batchSizes) is string bs)
                foreach (var w in Options.Words(bs))
                {
                    int size = w == "full" ? 0 : int.TryParse(w, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v > 0 ? v
                        : throw new ArgumentException($"--batch-sizes: '{w}' is neither a positive number nor 'full'");
                    string label = size == 0 ? "batch GD (full)" : size == 1 ? "SGD (1)" : $"mini-batch ({size})";
                    runs.Add((label, new TrainOptions { Optimizer = r.GetValue(optimizer)!, Lr = r.GetValue(lr) ?? 0.01, BatchSize = size, Epochs = r.GetValue(epochs), Seed = s }));
                }
            else
                foreach (var o in Options.Words(r.GetValue(optimizers) ?? "sgd,momentum,adagrad,rmsprop,adam"))
                {
                    if (!TrainOptions.Optimizers.Contains(o)) throw new ArgumentException($"--optimizers: unknown optimizer '{o}'; use {string.Join(", ", TrainOptions.Optimizers)}");
                    runs.Add((o, new TrainOptions { Optimizer = o, Lr = r.GetValue(lr), BatchSize = r.GetValue(batchSize), Epochs = r.GetValue(epochs), Seed = s }));
                }

            var dir = Options.RunFolder(r.GetValue(output));
            Directory.CreateDirectory(dir);
            var table = new Table().Border(TableBorder.Rounded).AddColumns("run", "final train loss", "final val loss", "val accuracy", "updates", "wall time");
            var curves = new List<(string, double[])>();
            foreach (var (name, options) in runs)
            {
                var model = Mlp.Build(data.Features, hidden, data.Classes.Length, "relu", s); // same initial weights for every run
                var trainer = new Trainer(model, data, options);
                var clock = Stopwatch.StartNew();
                var results = new List<EpochResult>();
                string? diverged = null; // a diverging optimizer is a result of the comparison, not an error: its row says where
                try { foreach (var e in trainer.Run(CancellationToken.None)) results.Add(e); }
                catch (DivergenceException e) { diverged = $"diverged (epoch {e.Epoch}, step {e.Step})"; }
                string Last(Func<EpochResult, string> f) => diverged ?? (results.Count > 0 ? f(results[^1]) : "-");
                console.MarkupLine($"{Markup.Escape(name),-18} {Last(r => $"loss {Options.F(r.TrainLoss)}  val acc {r.ValAccuracy:P2}")}  {trainer.TotalUpdates} updates  {clock.Elapsed.TotalSeconds:F2}s");
                table.AddRow(Markup.Escape(name), Last(r => Options.F(r.TrainLoss)), Last(r => Options.F(r.ValLoss)), Last(r => $"{r.ValAccuracy:P2}"),
                    trainer.TotalUpdates.ToString(CultureInfo.InvariantCulture), $"{clock.Elapsed.TotalSeconds:F2}s");
                if (results.Count > 0) curves.Add((name, results.Select(e => e.TrainLoss).ToArray()));
            }
            console.Write(table);
            var png = Path.Combine(dir, "compare.png");
            Charts.Lines(png, curves, "epoch", "training loss", $"{data.Name}: same network, same initial weights");
            console.MarkupLine($"wrote [blue]{Markup.Escape(png)}[/]");
            return App.Ok;
        });
        return command;
    }
}
