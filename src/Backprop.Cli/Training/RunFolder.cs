using System.Globalization;
using Backprop.IO;
using Backprop.NN;

namespace Backprop.Cli.Training;

/// <summary>
/// What <c>train --resume RUN_DIR</c> reads back from a run folder: model.json (architecture, data, hyper-parameters),
/// checkpoint.safetensors (the last complete epoch's full training state) and metrics.csv (earlier epochs' rows).
/// How train writes the folder is <see cref="RunFolderWriter"/>'s part.
/// </summary>
internal static class RunFolder
{
    public const string CheckpointFile = "checkpoint.safetensors";

    /// <summary>The checkpoint metadata key holding the run's model.json, so a run killed before writing model.json still resumes.</summary>
    public const string SpecKey = "model.json";

    /// <summary>Reads a run folder to continue it to <paramref name="epochs"/> epochs in total.</summary>
    public static (ModelSpec Spec, TrainOptions Options, Checkpoint Checkpoint, List<EpochResult> Results) ForResume(string dir, int epochs)
    {
        var ckptPath = Path.Combine(dir, CheckpointFile);
        if (!File.Exists(ckptPath))
            throw new FileNotFoundException($"{ckptPath} not found: --resume needs a folder written by 'backprop train' (which saves {CheckpointFile} after every epoch).", ckptPath);
        var checkpoint = Checkpoint.Load(ckptPath);
        // The checkpoint's own copy of model.json describes exactly its weights; model.json itself is written only when a run
        // ends (and may be absent after a kill). Checkpoints written before the copy existed fall back to model.json.
        var spec = checkpoint.Metadata.TryGetValue(SpecKey, out var json)
            ? ModelSpecReader.FromText(json, $"{ckptPath} (metadata '{SpecKey}')")
            : ModelSpecReader.Read(Path.Combine(dir, "model.json"));
        if (epochs <= checkpoint.Epoch)
            throw new ArgumentException($"--epochs {epochs}: the run in {dir} has already trained {checkpoint.Epoch} epochs; --epochs is the total to reach, so give more than {checkpoint.Epoch}.");
        var options = FromDescription(spec.Hyperparameters, Path.Combine(dir, "model.json")) with { Epochs = epochs, ImageShape = spec.ImageShape };
        var results = ReadMetrics(Path.Combine(dir, "metrics.csv")).Where(r => r.Epoch <= checkpoint.Epoch).ToList();
        return (spec, options, checkpoint, results);
    }

    /// <summary>Loads <c>--init</c> weights into a freshly built model, naming the file when they do not fit.</summary>
    public static void LoadInitialWeights(Module model, string path)
    {
        try { model.LoadStateDict(SafeTensors.Load(path)); }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"--init {path}: these weights do not fit the model being trained ({e.Message}). Give the same --layers and data set as the run that wrote them.", e);
        }
    }

    /// <summary>The hyper-parameters model.json records (<see cref="TrainOptions.Describe"/>), parsed back.</summary>
    public static TrainOptions FromDescription(IReadOnlyDictionary<string, string> h, string file)
    {
        string Get(string key) => h.TryGetValue(key, out var v) ? v : throw new InvalidDataException($"{file}: hyperparameters.{key} is missing; the file was not written by 'backprop train'.");
        double Num(string key) => double.TryParse(Get(key), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v
            : throw new InvalidDataException($"{file}: hyperparameters.{key} = '{Get(key)}' is not a number.");
        double? Opt(string key) => Get(key) == "none" ? null : Num(key);
        var betas = Get("betas").Split(',');
        if (betas.Length != 2) throw new InvalidDataException($"{file}: hyperparameters.betas = '{Get("betas")}' is not two numbers.");
        return new TrainOptions
        {
            Optimizer = Get("optimizer"), Lr = Num("lr"), Momentum = Num("momentum"), WeightDecay = Num("weightDecay"),
            Betas = (double.Parse(betas[0], CultureInfo.InvariantCulture), double.Parse(betas[1], CultureInfo.InvariantCulture)),
            BatchSize = Get("batchSize") == "full" ? 0 : (int)Num("batchSize"), Epochs = (int)Num("epochs"),
            Schedule = Get("lrSchedule") == "none" ? null : Get("lrSchedule"), ClipNorm = Opt("clipNorm"), Ema = Opt("ema"), Seed = (long)Num("seed"),
            Augment = h.TryGetValue("augment", out var augment) && augment != "none" ? augment.Split(',') : [],
            OnNan = h.TryGetValue("onNan", out var onNan) ? (TrainOptions.OnNanActions.Contains(onNan) ? onNan
                : throw new InvalidDataException($"{file}: hyperparameters.onNan = '{onNan}' is not one of {string.Join(", ", TrainOptions.OnNanActions)}.")) : "stop",
        };
    }

    /// <summary>
    /// Reads metrics.csv as written by <c>TrainCommand.WriteMetrics</c> (9 columns, ending skipped_batches,status), or the
    /// 7-column form of earlier versions (no skipped batches, every row complete); a missing file gives no rows.
    /// </summary>
    public static IEnumerable<EpochResult> ReadMetrics(string path)
    {
        if (!File.Exists(path)) yield break;
        int row = 1;
        foreach (var line in File.ReadLines(path).Skip(1))
        {
            row++;
            var f = line.Split(',');
            if (f.Length is not (7 or 9))
                throw new InvalidDataException($"{path}: row {row} '{line}' does not have the 9 columns epoch,train_loss,val_loss,val_accuracy,lr,seconds,updates,skipped_batches,status (or the first 7 of them).");
            double D(int i) => double.TryParse(f[i], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v
                : throw new InvalidDataException($"{path}: row {row}, column {i + 1}: '{f[i]}' is not a number.");
            int I(int i) => int.TryParse(f[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v
                : throw new InvalidDataException($"{path}: row {row}, column {i + 1}: '{f[i]}' is not a whole number.");
            bool partial = f.Length == 9 && (f[8] is "partial" ? true : f[8] is "complete" ? false
                : throw new InvalidDataException($"{path}: row {row}, column 9: status '{f[8]}' is neither complete nor partial."));
            yield return new EpochResult(I(0), D(1), D(2), D(3), D(4), D(5), I(6), Partial: partial, Skipped: f.Length == 9 ? I(7) : 0);
        }
    }
}
