using System.Diagnostics;
using Backprop.Data;
using Backprop.Distributed;
using Backprop.NN;
using Backprop.Optim;

namespace Backprop.Cli.Training;

/// <summary>
/// One epoch's numbers, as printed and written to metrics.csv. <paramref name="Partial"/> marks an epoch cut short by Ctrl+C;
/// <paramref name="Skipped"/> counts batches left out by <c>--on-nan skip-batch</c>.
/// </summary>
internal sealed record EpochResult(int Epoch, double TrainLoss, double ValLoss, double ValAccuracy, double Lr, double Seconds, int Updates,
    bool Partial = false, int Skipped = 0);

/// <summary>
/// The training loop shared by <c>train</c> and <c>compare</c>: mini-batches, optimizer, schedule, clipping, EMA. With a
/// process group (<c>train --distributed</c>) the model is wrapped in <see cref="DistributedDataParallel"/>, each rank
/// draws its batches of <c>BatchSize</c> through a <see cref="DistributedSampler"/>, and the epoch's metrics are summed
/// over the ranks, so every rank sees the numbers of the whole global batch.
/// </summary>
internal sealed partial class Trainer(Module model, SplitData data, TrainOptions options, IProcessGroup? group = null)
{
    private readonly CrossEntropyLoss lossFn = new();

    public Optimizer Optimizer { get; } = options.CreateOptimizer(model.Parameters());

    /// <summary>The EMA of the weights, when <c>--ema</c> is given; evaluation then uses it.</summary>
    public AveragedModel? Ema { get; } = options.Ema is double d ? new AveragedModel(d) : null;

    public int TotalUpdates { get; private set; }

    /// <summary>Shuffled mini-batches of the training part, seeded by <c>--seed</c> (this rank's share with a process group).</summary>
    public DataLoader Loader { get; } = DistributedRun.Loader(data, options, group);

    /// <summary>The model the steps run through: the model itself, or its DistributedDataParallel wrapper.</summary>
    private readonly Module net = group is null ? model : new DistributedDataParallel(model, group);

    /// <summary>The <c>--lr-schedule</c>, stepped once per epoch, or null.</summary>
    public IScheduler? Scheduler => lrSchedule ??= CreateScheduler();

    /// <summary>Complete epochs trained so far, including those of a resumed run.</summary>
    public int EpochsDone { get; private set; }

    /// <summary>
    /// Trains epoch by epoch, yielding each result. <paramref name="onBatch"/> reports (batch, batches, running loss, samples seen this epoch);
    /// cancellation stops after the current batch and still yields the partial epoch.
    /// </summary>
    public IEnumerable<EpochResult> Run(CancellationToken cancel, Action<int, int, double, int>? onBatch = null)
    {
        var (loader, scheduler, plateau) = (Loader, Scheduler as LRScheduler, Scheduler as ReduceLROnPlateau);
        for (int epoch = EpochsDone + 1; epoch <= options.Epochs && !cancel.IsCancellationRequested; epoch++)
        {
            var clock = Stopwatch.StartNew();
            (loader.Sampler as DistributedSampler)?.SetEpoch(epoch - 1);
            model.Train();
            double lossSum = 0; int seen = 0, b = 0, skipped = 0;
            foreach (var (x, y) in loader)
            {
                b++;
                if (!Step(x, y, epoch, b, out double loss)) skipped++;
                else
                {
                    lossSum += loss * y.Numel;
                    seen += y.Numel;
                }
                onBatch?.Invoke(b, loader.Count, seen == 0 ? double.NaN : lossSum / seen, seen);
                if (cancel.IsCancellationRequested) break;
            }
            var epochSums = DistributedRun.Sum(group, lossSum, seen, skipped); // over all ranks: the global batches' mean
            if (seen == 0 && b > 0)
                throw new DivergenceException(epoch, b, $"every batch of epoch {epoch} had a non-finite loss or gradient (the weights themselves may be NaN)", options);
            double lr = Optimizer.ParamGroups[0].Lr;
            var (valLoss, valAcc) = EvaluateWithEvaluationWeights();
            if (!double.IsFinite(valLoss))
                throw new DivergenceException(epoch, b, $"the validation loss is {valLoss} after the epoch", options);
            scheduler?.Step();
            plateau?.Step(valLoss);
            if (!cancel.IsCancellationRequested) EpochsDone = epoch; // a cut-short epoch is not a checkpointable one
            yield return new EpochResult(epoch, epochSums[0] / Math.Max(epochSums[1], 1), valLoss, valAcc, lr, clock.Elapsed.TotalSeconds, TotalUpdates,
                Partial: b < loader.Count, Skipped: (int)epochSums[2]);
        }
    }

    /// <summary>
    /// One update. A non-finite loss (or, when it is measured, gradient norm) stops training with a <see cref="DivergenceException"/>,
    /// or with <c>--on-nan skip-batch</c> leaves the weights untouched and returns false. The weights are never updated with NaN or ∞.
    /// </summary>
    private bool Step(Tensor x, Tensor y, int epoch, int step, out double lossValue)
    {
        using var scope = new TensorScope(); // recycles this step's buffers for the next one
        using var anomaly = options.DetectAnomaly ? Autograd.DetectAnomaly() : (IDisposable?)null;
        x = Augment(x);
        Optimizer.ZeroGrad(setToNone: false);  // gradients stay allocated and are zeroed in place
        var loss = lossFn.Forward(net.Forward(x), y);
        lossValue = loss.Item();
        if (!double.IsFinite(lossValue)) return NonFinite(epoch, step, $"the training loss is {lossValue}");
        try { loss.Backward(); }
        catch (InvalidOperationException e) when (options.DetectAnomaly && e.Message.StartsWith("Function '", StringComparison.Ordinal))
        {
            throw new DivergenceException(epoch, step, "anomaly mode: " + e.Message.Split('\n', 2)[0].TrimEnd('\r', ' ').TrimEnd('.'), options, e);
        }
        // The gradient norm: measured anyway when clipping, and in skip-batch mode so that an infinite gradient is skipped too.
        double norm = options.ClipNorm is double clip ? ClipGrad.Norm(model.Parameters(), clip)
            : options.OnNan == "skip-batch" ? ClipGrad.Norm(model.Parameters(), double.PositiveInfinity, normType: double.PositiveInfinity) : 0;
        if (!double.IsFinite(norm)) return NonFinite(epoch, step, $"the gradient norm is {norm}");
        Optimizer.Step();
        Ema?.UpdateParameters(model);
        TotalUpdates++;
        return true;
    }

    private bool NonFinite(int epoch, int step, string what) =>
        options.OnNan == "skip-batch" ? false : throw new DivergenceException(epoch, step, what, options);

    /// <summary>The weights evaluation and checkpoints use: the EMA average when enabled, else the model's own.</summary>
    public IReadOnlyDictionary<string, Tensor> EvaluationWeights() =>
        Ema is { NumAveraged: > 0 } ? Ema.StateDict() : model.StateDict();

    /// <summary>
    /// <see cref="Evaluate"/> with <see cref="EvaluationWeights"/>: the EMA average is loaded into the model for the
    /// evaluation and the training weights are put back afterwards, so it works for any module (no copy of the
    /// architecture is needed).
    /// </summary>
    public (double Loss, double Accuracy) EvaluateWithEvaluationWeights()
    {
        if (Ema is not { NumAveraged: > 0 }) return Evaluate(model);
        var own = model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Clone());
        Ema.CopyTo(model);
        try { return Evaluate(model); }
        finally { model.LoadStateDict(own); }
    }

    /// <summary>
    /// Mean cross-entropy and accuracy per target (per character for a language model) on the validation part, in chunks of 1,000 rows (a CNN's activations for all of them
    /// at once would take gigabytes); with a process group each rank evaluates every Size-th row and the sums are added up.
    /// </summary>
    public (double Loss, double Accuracy) Evaluate(Module m)
    {
        m.Eval();
        using var noGrad = Autograd.NoGrad();
        var (valX, valY) = DistributedRun.Shard(group, data.ValX, data.ValY);
        int n = valY.Shape[0];
        double lossSum = 0, correct = 0;
        for (int start = 0; start < n; start += EvalChunk)
        {
            using var scope = new TensorScope();
            int count = Math.Min(EvalChunk, n - start);
            var y = OnDevice(valY.Narrow(0, start, count));
            var logits = m.Forward(OnDevice(valX.Narrow(0, start, count)));
            lossSum += lossFn.Forward(logits, y).Item() * y.Numel; // per target: a row of a text model holds context targets
            correct += logits.ArgMax(1).Eq(y).Sum().Item();
        }
        var sums = DistributedRun.Sum(group, lossSum, correct);
        m.Train();
        return (sums[0] / data.ValY.Numel, sums[1] / data.ValY.Numel);
    }

    private const int EvalChunk = 1000;

    /// <summary><paramref name="t"/> on <c>--device</c> (itself when no device was given or it is there already).</summary>
    private Tensor OnDevice(Tensor t) => options.Device is { } device ? t.To(device) : t;
    private readonly Generator augmentGenerator = new(options.Seed + 1);

    /// <summary>The training batch with <c>--augment</c>'s random crops and flips applied to its images (rows stay flat).</summary>
    private Tensor Augment(Tensor x)
    {
        if (options.Augment.Length == 0 || options.ImageShape is not int[] shape) return x;
        var images = x.Reshape([x.Shape[0], .. shape]);
        if (options.Augment.Contains("crop")) images = ImageAugmentation.RandomCrop(images, 2, augmentGenerator);
        if (options.Augment.Contains("flip")) images = ImageAugmentation.RandomHorizontalFlip(images, augmentGenerator);
        return images.Reshape([x.Shape[0], -1]);
    }
}
