using System.CommandLine;
using System.Globalization;
using System.Text;
using Backprop.Cli.Output;
using Backprop.Cli.Training;
using Backprop.Distributed;
using Backprop.IO;
using Backprop.NN;
using Spectre.Console;

namespace Backprop.Cli.Commands;

/// <summary><c>backprop train</c>: trains an MLP with live progress and writes metrics, curves and checkpoints.</summary>
internal static class TrainCommand
{
    public static Command Create(IAnsiConsole console)
    {
        var dataset = Options.Dataset(extra: [TextData.DatasetName]); var dataDir = Options.DataDir(); var labelColumn = Options.LabelColumn();
        var layers = new Option<string?>("--layers") { Description = "hidden layer sizes, e.g. 256,128 (default 64; 256,128 for fashion-mnist)" };
        var modelOption = new Option<string>("--model") { Description = $"mlp | cnn (= {Cnn.Default}) | a layer spec such as conv16,pool,fc64 (image data sets: fashion-mnist, digits) | lstm | transformer (--dataset text; default lstm there)", DefaultValueFactory = _ => "mlp" };
        var augment = new Option<string?>("--augment") { Description = "image augmentation for convolutional models: crop (random 2-pixel shifts), flip (horizontal), or crop,flip" };
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
        var seed = Options.Seed(); var threads = Options.Threads(); var device = Options.Device(); var output = Options.Out();
        var resume = new Option<string?>("--resume") { Description = "continue the run in this folder to --epochs epochs in total (its other settings come from its checkpoint)" };
        var init = new Option<string?>("--init") { Description = "start from the weights in this safetensors file instead of random ones" };
        output.Validators.Add(r => { if (r.GetValueOrDefault<string?>() is string o && RunFolderWriter.TargetError(Path.GetFullPath(o)) is string e) r.AddError(e); });
        layers.PositiveInts();
        resume.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string?>() is string d && !File.Exists(Path.Combine(d, RunFolder.CheckpointFile)))
                r.AddError($"--resume: {Path.Combine(d, RunFolder.CheckpointFile)} not found: --resume needs a folder written by 'backprop train' (which saves {RunFolder.CheckpointFile} after every epoch)");
        });
        init.Validators.Add(r => { if (r.GetValueOrDefault<string?>() is string f && !File.Exists(f)) r.AddError($"--init: {f} not found; give a safetensors file such as RUN/model.safetensors"); });
        modelOption.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string>() is not string m || Cnn.Resolve(m.Trim()) is not string spec || spec == "mlp" || TextOptions.Models.Contains(spec)) return;
            try { Cnn.Build([1, 28, 28], spec, 10, 0); } // the spec's grammar; whether it fits the data set's images is checked once the data set is known
            catch (ArgumentException e) when (!e.Message.Contains("does not fit", StringComparison.Ordinal) && !e.Message.Contains("already", StringComparison.Ordinal)) { r.AddError(e.Message); }
        });
        augment.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string?>() is string a && Options.Words(a).FirstOrDefault(w => w is not ("crop" or "flip")) is string word)
                r.AddError($"--augment: '{word}' is not an augmentation; use crop, flip or crop,flip");
        });

        var distributed = new Option<bool>("--distributed") { Description = "data-parallel training over the ranks of an MPI job: mpirun -np N backprop train --distributed (--batch-size is per rank)" };

        var text = new TextOptions();
        var command = new Command("train", "Train an MLP, a CNN or a character-level language model (default: an MLP on the embedded UCI digits, 80/20 split, seed 0) and write metrics.csv, curves.png and checkpoints.")
        {
            dataset, dataDir, labelColumn, modelOption, augment, layers, activation, optimizer, lr, momentum, weightDecay, betas, batchSize, epochs, schedule, clip, ema, onNan, anomaly, seed, threads, device, output, resume, init, distributed,
        };
        foreach (var o in text.All) command.Options.Add(o);
        text.AddValidator(command, dataset, modelOption, resume, [dataDir, labelColumn, layers, activation, augment]);
        command.SetAction(r =>
        {
            if (!r.GetValue(distributed)) return Run(r, null);
            if (r.GetValue(resume) is not null) throw new ArgumentException("--resume: resuming a --distributed run is not supported yet; start a new run with --init <folder>/model.safetensors.");
            if (r.GetValue(onNan) == "skip-batch") throw new ArgumentException("--on-nan skip-batch: not supported with --distributed (ranks would skip different batches and leave the gradient all-reduce unmatched); use --on-nan stop.");
            // Every rank must leave together: a failure on one rank aborts the job instead of leaving the others waiting.
            var group = DistributedRun.Join();
            try
            {
                int code = Run(r, group);
                group.Dispose();
                return code;
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"error: rank {group.Rank} of {group.Size}: {e.Message}");
                group.Abort(App.Failed);
                throw;
            }
        });
        return command;

        int Run(ParseResult r, IProcessGroup? group)
        {
            var on = Options.UseDevice(r.GetValue(device)!);
            Options.ApplyThreads(r.GetValue(threads) ?? (group is null ? null : DistributedRun.DefaultThreadsPerRank()), r.InvocationConfiguration.Error);
            if (r.GetValue(epochs) < 1) throw new ArgumentException("--epochs must be at least 1");
            if (r.GetValue(resume) is string runDir)
            {
                Option[] fixedByRun = [dataset, dataDir, labelColumn, modelOption, augment, layers, activation, optimizer, lr, momentum, weightDecay, betas, batchSize, schedule, clip, ema, onNan, seed, output, init, .. text.All];
                if (fixedByRun.FirstOrDefault(o => r.GetResult(o) is { Implicit: false }) is { } given)
                    throw new ArgumentException($"{given.Name}: --resume continues the run with the settings in {Path.Combine(runDir, RunFolder.CheckpointFile)}; give only --epochs (and --threads, --detect-anomaly), or start a new run with --init {Path.Combine(runDir, "model.safetensors")}.");
                var (rspec, roptions, checkpoint, previous) = RunFolder.ForResume(runDir, r.GetValue(epochs));
                roptions = roptions with { DetectAnomaly = r.GetValue(anomaly), Device = on };
                var rdata = rspec.Text is { } rtext ? TextData.Load(rtext.File, rspec.Inputs, rspec.Classes)
                    : DataSource.Load(rspec.Dataset, rspec.DataDir, rspec.LabelColumn, roptions.Seed);
                rspec.Hyperparameters = roptions.Describe();
                return Train(console, rspec, rdata, roptions, runDir, new Start(checkpoint, previous, null), group);
            }
            string name = r.GetValue(dataset)!;
            var b = Options.Doubles(r.GetValue(betas)!, "--betas");
            string bs = r.GetValue(batchSize)!;
            var options = new TrainOptions
            {
                Optimizer = r.GetValue(optimizer)!, Lr = r.GetValue(lr), Momentum = r.GetValue(momentum), WeightDecay = r.GetValue(weightDecay),
                Betas = (b[0], b[1]), BatchSize = bs == "full" ? 0 : int.Parse(bs, CultureInfo.InvariantCulture), Epochs = r.GetValue(epochs), Schedule = r.GetValue(schedule),
                ClipNorm = r.GetValue(clip), Ema = r.GetValue(ema), Seed = r.GetValue(seed), OnNan = r.GetValue(onNan)!, DetectAnomaly = r.GetValue(anomaly),
                Device = on,
            };
            if (name == TextData.DatasetName)
            {
                var (tspec, tdata) = text.Build(r, modelOption, options);
                return Train(console, tspec, tdata, options, Options.RunFolder(r.GetValue(output)), new Start(null, [], r.GetValue(init)), group);
            }
            var hidden = r.GetValue(layers) is string l ? Options.Ints(l, "--layers") : name == "fashion-mnist" ? [256, 128] : [64];
            var data = DataSource.Load(name, r.GetValue(dataDir), r.GetValue(labelColumn)!, options.Seed);
            string model = Cnn.Resolve(r.GetValue(modelOption)!.Trim());
            var imageShape = model == "mlp" ? null : Cnn.ImageShape(name)
                ?? throw new ArgumentException($"--model {r.GetValue(modelOption)}: convolutional models need an image data set (fashion-mnist or digits), not '{name}'");
            var augmentations = r.GetValue(augment) is string a ? Options.Words(a) : [];
            foreach (var word in augmentations)
                if (word is not ("crop" or "flip")) throw new ArgumentException($"--augment: '{word}' is not an augmentation; use crop, flip or crop,flip");
            if (augmentations.Length > 0 && imageShape is null) throw new ArgumentException("--augment needs a convolutional --model on an image data set");
            options = options with { Augment = augmentations, ImageShape = imageShape };
            var spec = new ModelSpec
            {
                Dataset = name, DataDir = r.GetValue(dataDir), LabelColumn = r.GetValue(labelColumn)!, Seed = options.Seed, Inputs = data.Features,
                Hidden = model == "mlp" ? hidden : [], Model = model, ImageShape = imageShape,
                Activation = r.GetValue(activation)!, Classes = data.Classes, Mean = data.Mean, Std = data.Std, Hyperparameters = options.Describe(),
            };
            return Train(console, spec, data, options, Options.RunFolder(r.GetValue(output)), new Start(null, [], r.GetValue(init)), group);
        }
    }

    /// <summary>How a run starts: from a checkpoint (with the earlier epochs' rows), from <c>--init</c> weights, or fresh.</summary>
    private sealed record Start(Checkpoint? Resume, List<EpochResult> Previous, string? InitWeights);

    /// <summary>Trains and writes the run folder; with a process group only rank 0 prints and writes files.</summary>
    private static int Train(IAnsiConsole console, ModelSpec spec, SplitData data, TrainOptions options, string dir, Start start, IProcessGroup? group)
    {
        bool writes = group is null || group.Rank == 0;
        if (!writes) console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(TextWriter.Null) });
        // Only rank 0 writes; a new run deletes the previous run's model.json before its first write.
        var run = writes ? RunFolderWriter.Begin(dir, newRun: start.Resume is null) : null;
        if (run is not null) dir = run.Dir;
        var model = spec.Build(spec.Seed);
        if (start.InitWeights is string init) RunFolder.LoadInitialWeights(model, init);
        if (options.Device is { } device) model.To(device); // before the optimizer makes its state
        var trainer = new Trainer(model, data, options, group);
        if (start.Resume is { } checkpoint)
        {
            trainer.Restore(checkpoint);
            console.MarkupLine($"resuming [blue]{Markup.Escape(dir)}[/] after epoch {checkpoint.Epoch} ({checkpoint.Step} updates)");
        }
        if (start.Previous.Count > 0 && start.Previous.MaxBy(e => e.ValAccuracy) is { } prevBest) // the first epoch with the best accuracy
        {
            spec.BestEpoch = prevBest.Epoch;
            spec.BestValAccuracy = prevBest.ValAccuracy;
        }
        string batch = options.BatchSize == 0 ? "full" : options.BatchSize.ToString(CultureInfo.InvariantCulture);
        if (group is not null) batch += options.BatchSize == 0 ? $" (each of {group.Size} ranks its share)" : $" per rank × {group.Size} ranks = {options.BatchSize * group.Size} global";
        console.MarkupLine(spec.Text is null
            ? $"[bold]{Markup.Escape(data.Name)}[/]: {data.TrainY.Numel} training / {data.ValY.Numel} validation samples, {data.Features} features, {data.Classes.Length} classes"
            : $"[bold]{Markup.Escape(data.Name)}[/]: {data.TrainY.Shape[0]:N0} training / {data.ValY.Shape[0]:N0} validation windows of {spec.Inputs} characters " +
              $"(last tenth of the text for validation), vocabulary of {data.Classes.Length} characters");
        console.MarkupLine($"model: {Markup.Escape(spec.Describe())}, {model.ParameterCount:N0} parameters; " +
            $"{options.Optimizer} lr {options.EffectiveLr}, batch {batch}, {options.Epochs} epochs");
        if (group is not null) console.MarkupLine($"distributed: {group.Size} ranks over {Markup.Escape(group.Backend)}, {Threading.NumThreads} compute threads per rank");

        using var cancel = new CancellationTokenSource();
        // Ranks stopping at different batches would leave collectives unmatched: under mpirun, Ctrl+C ends the job instead.
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cancel.Cancel(); };
        if (group is null) Console.CancelKeyPress += onCancel;
        var results = new List<EpochResult>(start.Previous);
        DivergenceException? diverged = null;
        // The weights after the last finished epoch: model.safetensors is written from them at the end (a diverged run keeps
        // the epochs before, never NaN weights).
        Dictionary<string, Tensor>? last = null;
        try
        {
            double best = results.Count == 0 ? -1 : results.Max(e => e.ValAccuracy);
            using var epochsRun = RunWithProgress(console, trainer, cancel.Token, spec.Text is null ? "samples" : "characters").GetEnumerator();
            while (epochsRun.MoveNext())
            {
                var e = epochsRun.Current;
                results.Add(e);
                console.MarkupLine($"epoch {e.Epoch,3}/{options.Epochs}  loss {Options.F(e.TrainLoss)}{Bpc(spec, e.TrainLoss)}  val_loss {Options.F(e.ValLoss)}{Bpc(spec, e.ValLoss)}  " +
                    $"val_acc [bold]{e.ValAccuracy:P2}[/]  lr {e.Lr:G3}  {e.Seconds:F2}s{(e.Skipped > 0 ? $"  skipped {e.Skipped} non-finite batch(es)" : "")}{(e.Partial ? "  (partial: interrupted)" : "")}");
                if (run is null) continue;
                last = Copy(trainer.EvaluationWeights());
                // Written in the real folder as the run goes, each file atomically; model.json only at the end.
                if (e.ValAccuracy > best) // the trainer yields only finite validation numbers
                {
                    best = e.ValAccuracy;
                    spec.BestEpoch = e.Epoch;
                    spec.BestValAccuracy = e.ValAccuracy;
                    SafeTensors.Save(run["best.safetensors"], last, Metadata(spec, e.Epoch));
                }
                WriteMetrics(run["metrics.csv"], results); // the rows a resume after a kill continues from
                if (trainer.EpochsDone == e.Epoch)
                    trainer.SaveCheckpoint(run[RunFolder.CheckpointFile], new Dictionary<string, string>(Metadata(spec, e.Epoch)) { [RunFolder.SpecKey] = spec.ToJson() });
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
        if (run is null) { if (diverged is not null) throw diverged; return cancel.IsCancellationRequested ? App.Interrupted : App.Ok; }
        SafeTensors.Save(run["model.safetensors"], last ?? Copy(trainer.EvaluationWeights()), Metadata(spec, results[^1].Epoch));
        WriteMetrics(run["metrics.csv"], results);
        Charts.Curves(run["curves.png"], results, $"{data.Name}: {options.Optimizer}, batch {(options.BatchSize == 0 ? "full" : options.BatchSize)}");
        run.BeforeWrite();
        spec.Save(dir); // last: model.json beside the weights it describes marks the set complete
        string bestNote = spec.BestEpoch > 0 ? $", best.safetensors (epoch {spec.BestEpoch}, val acc {spec.BestValAccuracy:P2})" : "";
        string checkpointNote = trainer.EpochsDone > 0 ? $", {RunFolder.CheckpointFile} (epoch {trainer.EpochsDone})" : "";
        console.MarkupLine($"wrote [blue]{Markup.Escape(dir)}[/]: metrics.csv, curves.png, model.safetensors (epoch {results[^1].Epoch}), model.json{bestNote}{checkpointNote}; {trainer.TotalUpdates} updates");
        if (diverged is not null)
            throw diverged.WithKept($"{dir} keeps epoch{(results.Count > 1 ? $"s 1-{results[^1].Epoch}" : $" {results[^1].Epoch}")}{(spec.BestEpoch > 0 ? $" (best: epoch {spec.BestEpoch})" : "")}", options);
        return cancel.IsCancellationRequested ? App.Interrupted : App.Ok;
    }

    /// <summary>Runs the trainer, with a live progress bar per epoch on an interactive terminal.</summary>
    private static IEnumerable<EpochResult> RunWithProgress(IAnsiConsole console, Trainer trainer, CancellationToken token, string unit)
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
            task.Description = $"batch {b}/{total}  loss {loss:F4}  {samples / Math.Max(clock.Elapsed.TotalSeconds, 1e-9):N0} {unit}/s";
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

    /// <summary>For a language model, the loss in bits per character (cross-entropy in nats / ln 2): " (2.345 bpc)".</summary>
    private static string Bpc(ModelSpec spec, double loss) =>
        spec.Text is null ? "" : $" ({(loss / Math.Log(2)).ToString("F3", CultureInfo.InvariantCulture)} bpc)";

    private static Dictionary<string, Tensor> Copy(IReadOnlyDictionary<string, Tensor> weights) => weights.ToDictionary(kv => kv.Key, kv => kv.Value.Clone());

    private static Dictionary<string, string> Metadata(ModelSpec spec, int epoch) => new()
    {
        ["format"] = spec.Format, ["dataset"] = spec.Dataset, ["epoch"] = epoch.ToString(CultureInfo.InvariantCulture),
    };

    internal static void WriteMetrics(string path, IReadOnlyList<EpochResult> results)
    {
        var sb = new StringBuilder("epoch,train_loss,val_loss,val_accuracy,lr,seconds,updates,skipped_batches,status\n");
        foreach (var e in results)
            sb.Append(string.Join(',', e.Epoch, R(e.TrainLoss), R(e.ValLoss), R(e.ValAccuracy), R(e.Lr), R(e.Seconds), e.Updates, e.Skipped, e.Partial ? "partial" : "complete")).Append('\n');
        AtomicFile.WriteAllText(path, sb.ToString());
        static string R(double v) => v.ToString("R", CultureInfo.InvariantCulture);
    }
}
