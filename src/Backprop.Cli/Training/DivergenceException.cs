using System.Globalization;

namespace Backprop.Cli.Training;

/// <summary>
/// Training stopped because a loss or gradient stopped being finite (NaN or ∞). The message is one line naming the epoch,
/// the step (batch within the epoch) and what to try; the weights were not updated with the non-finite values.
/// </summary>
internal sealed class DivergenceException(int epoch, int step, string what, TrainOptions options, Exception? inner = null, string? kept = null)
    : InvalidOperationException(Describe(epoch, step, what, options, kept), inner)
{
    /// <summary>What was not finite, e.g. "the training loss is NaN".</summary>
    public string What { get; } = what;

    /// <summary>The same divergence, with a note on what the run folder kept.</summary>
    public DivergenceException WithKept(string note, TrainOptions options) => new(Epoch, Step, What, options, InnerException, note);

    /// <summary>The epoch (1-based) in which training diverged.</summary>
    public int Epoch { get; } = epoch;

    /// <summary>The batch within the epoch (1-based) at which it was detected.</summary>
    public int Step { get; } = step;

    private static string Describe(int epoch, int step, string what, TrainOptions options, string? kept)
    {
        string lr = options.EffectiveLr.ToString("G3", CultureInfo.InvariantCulture).ToLowerInvariant();
        string smaller = (options.EffectiveLr / 10).ToString("G3", CultureInfo.InvariantCulture).ToLowerInvariant();
        var tries = new List<string> { $"a smaller --lr (e.g. {smaller}; it is {lr} with {options.Optimizer})" };
        if (options.ClipNorm is null) tries.Add("--clip-norm 1");
        if (options.OnNan != "skip-batch") tries.Add("--on-nan skip-batch");
        if (!options.DetectAnomaly) tries.Add("--detect-anomaly to name the op");
        return $"training diverged at epoch {epoch}, step {step}: {what}{(kept is null ? "" : "; " + kept)}; try {string.Join(", ", tries[..^1])} or {tries[^1]}";
    }
}
