using System.Globalization;
using Backprop.Optim;

namespace Backprop.Cli.Training;

/// <summary>Hyper-parameters of one training run, as given on the command line.</summary>
internal sealed record TrainOptions
{
    public string Optimizer { get; init; } = "adam";
    public double? Lr { get; init; }
    public double Momentum { get; init; } = 0.9;
    public double WeightDecay { get; init; }
    public (double, double) Betas { get; init; } = (0.9, 0.999);
    /// <summary>0 means the whole training set (batch gradient descent).</summary>
    public int BatchSize { get; init; } = 32;
    public int Epochs { get; init; } = 20;
    public string? Schedule { get; init; }
    public double? ClipNorm { get; init; }
    public double? Ema { get; init; }
    public long Seed { get; init; }
    /// <summary>Augmentations of the training images ("crop", "flip"); empty for none.</summary>
    public string[] Augment { get; init; } = [];
    /// <summary>[C, H, W] of the images, for augmentation; null for tabular data.</summary>
    public int[]? ImageShape { get; init; }
    /// <summary>What a non-finite loss or gradient does: <c>stop</c> (exit 1) or <c>skip-batch</c> (leave the weights untouched).</summary>
    public string OnNan { get; init; } = "stop";
    /// <summary>Run every backward pass in anomaly mode, so the first op producing NaN or ∞ is named.</summary>
    public bool DetectAnomaly { get; init; }
    /// <summary>
    /// <c>--device</c>: where the model, its optimizer state, the batches and the validation data go; null leaves them on
    /// the default device (<c>compare</c>, tests). Not a hyper-parameter: a run resumes on any device.
    /// </summary>
    public Device? Device { get; init; }

    /// <summary>The allowed values of <see cref="OnNan"/>.</summary>
    public static readonly string[] OnNanActions = ["stop", "skip-batch"];

    public double EffectiveLr => Lr ?? Optimizer switch
    {
        "sgd" => 0.1,
        "momentum" or "nesterov" => 0.05,
        "adagrad" => 0.05,
        _ => 1e-3,
    };

    public Optim.Optimizer CreateOptimizer(IEnumerable<Tensor> parameters) => Optimizer switch
    {
        "sgd" => new Sgd(parameters, EffectiveLr, weightDecay: WeightDecay),
        "momentum" => new Sgd(parameters, EffectiveLr, momentum: Momentum, weightDecay: WeightDecay),
        "nesterov" => new Sgd(parameters, EffectiveLr, momentum: Momentum, weightDecay: WeightDecay, nesterov: true),
        "adagrad" => new Adagrad(parameters, EffectiveLr, weightDecay: WeightDecay),
        "rmsprop" => new RmsProp(parameters, EffectiveLr, weightDecay: WeightDecay),
        "adam" => new Adam(parameters, EffectiveLr, Betas, weightDecay: WeightDecay),
        "adamw" => new AdamW(parameters, EffectiveLr, Betas, weightDecay: WeightDecay == 0 ? 1e-2 : WeightDecay),
        _ => throw new ArgumentException($"unknown optimizer '{Optimizer}': use sgd, momentum, nesterov, adagrad, rmsprop, adam or adamw"),
    };

    public static readonly string[] Optimizers = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"];

    public Dictionary<string, string> Describe() => new()
    {
        ["optimizer"] = Optimizer,
        ["lr"] = EffectiveLr.ToString(CultureInfo.InvariantCulture),
        ["momentum"] = Momentum.ToString(CultureInfo.InvariantCulture),
        ["weightDecay"] = WeightDecay.ToString(CultureInfo.InvariantCulture),
        ["betas"] = $"{Betas.Item1.ToString(CultureInfo.InvariantCulture)},{Betas.Item2.ToString(CultureInfo.InvariantCulture)}",
        ["batchSize"] = BatchSize == 0 ? "full" : BatchSize.ToString(CultureInfo.InvariantCulture),
        ["epochs"] = Epochs.ToString(CultureInfo.InvariantCulture),
        ["lrSchedule"] = Schedule ?? "none",
        ["clipNorm"] = ClipNorm?.ToString(CultureInfo.InvariantCulture) ?? "none",
        ["ema"] = Ema?.ToString(CultureInfo.InvariantCulture) ?? "none",
        ["seed"] = Seed.ToString(CultureInfo.InvariantCulture),
        ["augment"] = Augment.Length == 0 ? "none" : string.Join(",", Augment),
        ["onNan"] = OnNan,
    };
}
