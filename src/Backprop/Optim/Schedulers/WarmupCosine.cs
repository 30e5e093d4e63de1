namespace Backprop.Optim;

public sealed partial class LambdaLR
{
    /// <summary>
    /// Linear warm-up then cosine decay, the schedule Transformer training uses: a <see cref="LambdaLR"/> with Hugging Face's
    /// <c>get_cosine_schedule_with_warmup</c> lambda. The factor rises as step / numWarmupSteps, then follows
    /// max(0, ½(1 + cos(π · numCycles · 2 · progress))) with progress = (step − numWarmupSteps) / (numTrainingSteps − numWarmupSteps),
    /// reaching 0 at numTrainingSteps with the default half cycle. Call <see cref="LRScheduler.Step"/> once per optimizer step.
    /// The same shape in PyTorch's own classes is <c>SequentialLR([LinearLR, CosineAnnealingLR])</c> (see <see cref="SequentialLR"/>).
    /// </summary>
    public static LambdaLR WarmupCosine(Optimizer optimizer, int numWarmupSteps, int numTrainingSteps, double numCycles = 0.5)
    {
        if (numWarmupSteps < 0 || numTrainingSteps <= 0 || numWarmupSteps > numTrainingSteps)
            throw new ArgumentException($"WarmupCosine: need 0 ≤ numWarmupSteps ≤ numTrainingSteps and numTrainingSteps > 0, got numWarmupSteps={numWarmupSteps}, numTrainingSteps={numTrainingSteps}.");
        if (!(numCycles > 0) || double.IsInfinity(numCycles))
            throw new ArgumentException($"WarmupCosine: numCycles must be positive and finite, got {numCycles}.");
        return new LambdaLR(optimizer, WarmupCosineFactor(numWarmupSteps, numTrainingSteps, numCycles));
    }

    /// <summary>The factor of <see cref="WarmupCosine"/> at each step.</summary>
    internal static Func<int, double> WarmupCosineFactor(int warmup, int total, double cycles) => step =>
    {
        if (step < warmup) return (double)step / Math.Max(1, warmup);
        double progress = (double)(step - warmup) / Math.Max(1, total - warmup);
        return Math.Max(0.0, 0.5 * (1.0 + Math.Cos(Math.PI * cycles * 2.0 * progress)));
    };
}
