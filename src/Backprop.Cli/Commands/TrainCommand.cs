using System.CommandLine;
using System.Globalization;
using System.Text;
using Backprop.Cli.Output;
using Backprop.Cli.Training;
using Backprop.IO;
using Spectre.Console;

namespace Backprop.Cli.Commands;

/// <summary><c>backprop train</c>: trains an MLP with live progress and writes metrics, curves and checkpoints.</summary>
internal static class TrainCommand
{
    public static Command Create(IAnsiConsole console)
    {
        var dataset = Options.Dataset(); var dataDir = Options.DataDir(); var labelColumn = Options.LabelColumn();
        var layers = new Option<string?>("--layers") { Description = "hidden layer sizes, e.g. 256,128 (default 64; 256,128 for fashion-mnist)" };
        var activation = new Option<string>("--activation") { Description = "relu | sigmoid | tanh | gelu", DefaultValueFactory = _ => "relu" };
        activation.AcceptOnlyFromAmong("relu", "sigmoid", "tanh", "gelu");
        var optimizer = new Option<string>("--optimizer") { Description = "sgd | momentum | nesterov | adagrad | rmsprop | adam | adamw", DefaultValueFactory = _ => "adam" };
        optimizer.AcceptOnlyFromAmong(TrainOptions.Optimizers);
        var lr = new Option<double?>("--lr") { Description = "learning rate (default: 0.1 sgd, 0.05 momentum/nesterov/adagrad, 1e-3 otherwise)" }.Within(0, double.PositiveInfinity, lowOpen: true);
        var momentum = new Option<double>("--momentum") { Description = "momentum for momentum/nesterov", DefaultValueFactory = _ => 0.9 }.Within(0, 1);
        var weightDecay = new Option<double>("--weight-decay") { Description = "L2 weight decay (decoupled for adamw)", DefaultValueFactory = _ => 0 }.Within(0, double.PositiveInfinity);
        var betas = new Option<string>("--betas") { Description = "Adam betas, e.g. 0.9,0.999", DefaultValueFactory = _ => "0.9,0.999" }.FiniteNumbers(count: 2, low: 0, high: 1);
        var batchSize = new Option<string>("--batch-size", "-b") { Description = "samples per update: a number, or 'full' for batch gradient descent (1 = SGD)", DefaultValueFactory = _ => "32" }
            .Words(["full"], positiveInts: true);
        var epochs = new Option<int>("--epochs", "-e") { Description = "passes over the training set", DefaultValueFactory = _ => 20 }.AtLeast(1);
        var schedule = new Option<string?>("--lr-schedule") { Description = "step | cosine | exponential | plateau" };
        schedule.AcceptOnlyFromAmong("step", "cosine", "exponential", "plateau");
        var clip = new Option<double?>("--clip-norm") { Description = "clip the gradient norm to this value (> 0)" }.Within(0, double.PositiveInfinity, lowOpen: true);
        var ema = new Option<double?>("--ema") { Description = "evaluate and save an exponential moving average of the weights with this decay, e.g. 0.99" }.Within(0, 1, lowOpen: true, highOpen: true);
        var onNan = new Option<string>("--on-nan") { Description = "on a NaN/∞ loss or gradient: stop (exit 1, keep the epochs before) | skip-batch (leave the weights untouched)", DefaultValueFactory = _ => "stop" };
        onNan.AcceptOnlyFromAmong(TrainOptions.OnNanActions);
        var anomaly = new Option<bool>("--detect-anomaly") { Description = "run backward in anomaly mode: name the first op whose gradient is NaN/∞ (slower)" };
        var seed = Options.Seed(); var threads = Options.Threads(); var output = Options.Out();
        output.Validators.Add(r => { if (r.GetValueOrDefault<string?>() is string o && RunFolder.TargetError(Path.GetFullPath(o)) is string e) r.AddError(e); });
        layers.PositiveInts();

        var command = new Command("train", "Train an MLP (default: the embedded UCI digits, 80/20 split, seed 0) and write metrics.csv, curves.png and checkpoints.")
        {
            dataset, dataDir, labelColumn, layers, activation, optimizer, lr, momentum, weightDecay, betas, batchSize, epochs, schedule, clip, ema, onNan, anomaly, seed, threads, output,
        };
        command.SetAction(r =>
        {
            Options.ApplyThreads(r.GetValue(threads), r.InvocationConfiguration.Error);
            string name = r.GetValue(dataset)!;
            var b = Options.Doubles(r.GetValue(betas)!, "--betas");
            string bs = r.GetValue(batchSize)!;
            var options = new TrainOptions
            {
                Optimizer = r.GetValue(optimizer)!, Lr = r.GetValue(lr), Momentum = r.GetValue(momentum), WeightDecay = r.GetValue(weightDecay),
                Betas = (b[0], b[1]), BatchSize = bs == "full" ? 0 : int.Parse(bs, CultureInfo.InvariantCulture), Epochs = r.GetValue(epochs), Schedule = r.GetValue(schedule),
                ClipNorm = r.GetValue(clip), Ema = r.GetValue(ema), Seed = r.GetValue(seed), OnNan = r.GetValue(onNan)!, DetectAnomaly = r.GetValue(anomaly),
            };
            var hidden = r.GetValue(layers) is string l ? Options.Ints(l, "--layers") : name == "fashion-mnist" ? [256, 128] : [64];
            var data = DataSource.Load(name, r.GetValue(dataDir), r.GetValue(labelColumn)!, options.Seed);
            var spec = new ModelSpec
            {
                Dataset = name, DataDir = r.GetValue(dataDir), LabelColumn = r.GetValue(labelColumn)!, Seed = options.Seed, Inputs = data.Features,
                Hidden = hidden, Activation = r.GetValue(activation)!, Classes = data.Classes, Mean = data.Mean, Std = data.Std, Hyperparameters = options.Describe(),
            };
            return Train(console, spec, data, options, Options.RunFolder(r.GetValue(output)));
        });
        return command;
    }

    private static int Train(IAnsiConsole console, ModelSpec spec, SplitData data, TrainOptions options, string dir)
    {
        using var run = RunFolder.Begin(dir);
        var model = spec.Build(spec.Seed);
        var trainer = new Trainer(model, data, options);
        console.MarkupLine($"[bold]{Markup.Escape(data.Name)}[/]: {data.TrainY.Numel} training / {data.ValY.Numel} validation samples, {data.Features} features, {data.Classes.Length} classes");
        console.MarkupLine($"model: {data.Features} → {string.Join(" → ", spec.Hidden)} → {data.Classes.Length} ({spec.Activation}), {model.ParameterCount:N0} parameters; " +
            $"{options.Optimizer} lr {options.EffectiveLr}, batch {(options.BatchSize == 0 ? "full" : options.BatchSize.ToString(CultureInfo.InvariantCulture))}, {options.Epochs} epochs");

        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cancel.Cancel(); };
        Console.CancelKeyPress += onCancel;
        var results = new List<EpochResult>();
        DivergenceException? diverged = null;
        // Copies of the weights after the last finished epoch and after the best one. Files written during training would
        // only land in the staging folder, which a killed run loses anyway, so they are written once, at the end.
        Dictionary<string, Tensor>? last = null, bestWeights = null;
        try
        {
            double best = -1;
            using var epochsRun = RunWithProgress(console, trainer, cancel.Token).GetEnumerator();
            while (epochsRun.MoveNext())
            {
                var e = epochsRun.Current;
                results.Add(e);
                console.MarkupLine($"epoch {e.Epoch,3}/{options.Epochs}  loss {Options.F(e.TrainLoss)}  val_loss {Options.F(e.ValLoss)}  " +
                    $"val_acc [bold]{e.ValAccuracy:P2}[/]  lr {e.Lr:G3}  {e.Seconds:F2}s{(e.Skipped > 0 ? $"  skipped {e.Skipped} non-finite batch(es)" : "")}{(e.Partial ? "  (partial: interrupted)" : "")}");
                last = trainer.EvaluationModel().StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Clone());
                if (e.ValAccuracy > best) // the trainer yields only finite validation numbers
                {
                    best = e.ValAccuracy;
                    spec.BestEpoch = e.Epoch;
                    spec.BestValAccuracy = e.ValAccuracy;
                    bestWeights = last;
                }
            }
        }
        catch (DivergenceException e) { diverged = e; }
        finally { Console.CancelKeyPress -= onCancel; }

        if (results.Count == 0)
        {
            if (diverged is not null) throw diverged.WithKept($"nothing was written to {dir}", options);
            console.MarkupLine($"[yellow]interrupted before the first batch finished; nothing was written to {Markup.Escape(dir)}[/]");
            return App.Interrupted;
        }
        if (cancel.IsCancellationRequested) console.MarkupLine("[yellow]interrupted: stopped after the current batch; writing what was trained so far[/]");
        SafeTensors.Save(run["model.safetensors"], last!, Metadata(spec, results[^1].Epoch));
        if (bestWeights is not null) SafeTensors.Save(run["best.safetensors"], bestWeights, Metadata(spec, spec.BestEpoch));
        spec.Save(run.Staging);
        WriteMetrics(run["metrics.csv"], results);
        Charts.Curves(run["curves.png"], results, $"{data.Name}: {options.Optimizer}, batch {(options.BatchSize == 0 ? "full" : options.BatchSize)}");
        run.Commit();
        string bestNote = spec.BestEpoch > 0 ? $", best.safetensors (epoch {spec.BestEpoch}, val acc {spec.BestValAccuracy:P2})" : "";
        console.MarkupLine($"wrote [blue]{Markup.Escape(dir)}[/]: metrics.csv, curves.png, model.safetensors (epoch {results[^1].Epoch}), model.json{bestNote}; {trainer.TotalUpdates} updates");
        if (diverged is not null)
            throw diverged.WithKept($"{dir} keeps epoch{(results.Count > 1 ? $"s 1-{results.Count}" : " 1")}{(spec.BestEpoch > 0 ? $" (best: epoch {spec.BestEpoch})" : "")}", options);
        return cancel.IsCancellationRequested ? App.Interrupted : App.Ok;
    }

    /// <summary>Runs the trainer, with a live progress bar per epoch on an interactive terminal.</summary>
    private static IEnumerable<EpochResult> RunWithProgress(IAnsiConsole console, Trainer trainer, CancellationToken token)
    {
        if (!console.Profile.Capabilities.Interactive)
        {
            foreach (var e in trainer.Run(token)) yield return e;
            yield break;
        }
        ProgressTask? task = null;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var run = trainer.Run(token, (b, total, loss, samples) =>
        {
            if (task is null) return;
            task.MaxValue = total;
            task.Value = b;
            task.Description = $"batch {b}/{total}  loss {loss:F4}  {samples / Math.Max(clock.Elapsed.TotalSeconds, 1e-9):N0} samples/s";
        }).GetEnumerator();
        while (true)
        {
            bool more = false;
            console.Progress().AutoClear(true).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn())
                .Start(ctx => { task = ctx.AddTask("starting"); clock.Restart(); more = run.MoveNext(); task = null; });
            if (!more) yield break;
            yield return run.Current;
        }
    }

    private static Dictionary<string, string> Metadata(ModelSpec spec, int epoch) => new()
    {
        ["format"] = spec.Format, ["dataset"] = spec.Dataset, ["epoch"] = epoch.ToString(CultureInfo.InvariantCulture),
    };

    internal static void WriteMetrics(string path, IReadOnlyList<EpochResult> results)
    {
        var sb = new StringBuilder("epoch,train_loss,val_loss,val_accuracy,lr,seconds,updates,skipped_batches,status\n");
        foreach (var e in results)
            sb.Append(string.Join(',', e.Epoch, R(e.TrainLoss), R(e.ValLoss), R(e.ValAccuracy), R(e.Lr), R(e.Seconds), e.Updates, e.Skipped, e.Partial ? "partial" : "complete")).Append('\n');
        File.WriteAllText(path + ".tmp", sb.ToString());
        File.Move(path + ".tmp", path, overwrite: true);
        static string R(double v) => v.ToString("R", CultureInfo.InvariantCulture);
    }
}
