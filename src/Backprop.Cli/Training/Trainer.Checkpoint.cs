using System.Globalization;
using Backprop.IO;
using Backprop.Optim;

namespace Backprop.Cli.Training;

/// <summary>The trainer's side of <c>train --resume</c>: its schedule, and saving and restoring its whole state.</summary>
internal sealed partial class Trainer
{
    private IScheduler? lrSchedule;

    /// <summary>
    /// The <c>--lr-schedule</c>. Step and cosine are laid out over <c>--epochs</c>, so a run resumed to more epochs
    /// continues them over the new total; exponential and plateau do not depend on it.
    /// </summary>
    private IScheduler? CreateScheduler() => options.Schedule switch
    {
        null or "none" => null,
        "step" => new StepLR(Optimizer, Math.Max(1, options.Epochs / 3), 0.1),
        "cosine" => new CosineAnnealingLR(Optimizer, options.Epochs),
        "exponential" => new ExponentialLR(Optimizer, 0.95),
        "plateau" => new ReduceLROnPlateau(Optimizer, factor: 0.5, patience: 2),
        _ => throw new ArgumentException($"unknown --lr-schedule '{options.Schedule}': use step, cosine, exponential or plateau"),
    };

    /// <summary>
    /// Writes everything a resumed run needs (raw weights, optimizer, schedule, epochs done, updates, loader position and
    /// its generator, the EMA average) to one checkpoint file, atomically.
    /// </summary>
    public void SaveCheckpoint(string path, IReadOnlyDictionary<string, string> metadata)
    {
        var meta = new Dictionary<string, string>(metadata);
        Dictionary<string, Tensor>? extra = null;
        if (Ema is { NumAveraged: > 0 } ema)
        {
            meta["ema_count"] = ema.NumAveraged.ToString(CultureInfo.InvariantCulture);
            extra = ema.StateDict().ToDictionary(kv => "ema/" + kv.Key, kv => kv.Value);
        }
        Checkpoint.Save(path, model, Optimizer, Scheduler, EpochsDone, TotalUpdates, generators: Generators, loader: Loader, metadata: meta, extra: extra);
    }

    /// <summary>The trainer's own generators: <c>--augment</c>'s crops and flips (only when augmenting, so older checkpoints still load).</summary>
    private Dictionary<string, Generator>? Generators => options.Augment.Length > 0 ? new() { ["augment"] = augmentGenerator } : null;

    /// <summary>Restores a checkpoint written by <see cref="SaveCheckpoint"/> into this freshly built trainer.</summary>
    public void Restore(Checkpoint c)
    {
        c.Restore(model, Optimizer, Scheduler, generators: Generators, loader: Loader);
        if (Ema is { } ema && c.Metadata.TryGetValue("ema_count", out var count))
            ema.LoadStateDict(c.Extra.Where(kv => kv.Key.StartsWith("ema/", StringComparison.Ordinal)).ToDictionary(kv => kv.Key[4..], kv => kv.Value),
                int.Parse(count, CultureInfo.InvariantCulture));
        EpochsDone = c.Epoch;
        TotalUpdates = checked((int)c.Step);
    }
}
