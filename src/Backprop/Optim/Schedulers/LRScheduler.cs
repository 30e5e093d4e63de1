namespace Backprop.Optim;

/// <summary>
/// Base of learning-rate schedulers (<c>torch.optim.lr_scheduler.LRScheduler</c>). Each group's starting lr is kept as
/// <c>initial_lr</c>; <see cref="Step"/> advances the epoch and sets every group's lr from the subclass's closed form.
/// Creating a scheduler sets the epoch-0 lr, as PyTorch's constructor does.
/// </summary>
public abstract partial class LRScheduler
{
    /// <summary>Creates the scheduler and applies the epoch-0 learning rate.</summary>
    protected LRScheduler(Optimizer optimizer)
    {
        Optimizer = optimizer;
        foreach (var g in optimizer.ParamGroups)
            if (!g.Options.ContainsKey("initial_lr")) g.Options["initial_lr"] = g.Lr;
        BaseLrs = optimizer.ParamGroups.Select(g => g.Options["initial_lr"]).ToArray();
    }

    /// <summary>The optimizer whose learning rates this scheduler sets.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>Each group's initial learning rate (<c>scheduler.base_lrs</c>).</summary>
    public IReadOnlyList<double> BaseLrs { get; private set; }

    /// <summary>Number of <see cref="Step"/> calls so far (<c>scheduler.last_epoch</c>).</summary>
    public int LastEpoch { get; private set; }

    /// <summary>The learning rates set by the latest step (<c>scheduler.get_last_lr()</c>).</summary>
    public IReadOnlyList<double> LastLr => Optimizer.ParamGroups.Select(g => g.Lr).ToArray();

    /// <summary>Advances one epoch and updates the learning rates (<c>scheduler.step()</c>).</summary>
    public virtual void Step() => StepTo(LastEpoch + 1);

    /// <summary>Jumps to <paramref name="epoch"/> (used by <see cref="SequentialLR"/>).</summary>
    internal void StepTo(int epoch)
    {
        LastEpoch = epoch;
        for (int i = 0; i < BaseLrs.Count; i++) Optimizer.ParamGroups[i].Lr = LrAt(BaseLrs[i], epoch);
    }

    /// <summary>Subclasses call this at the end of their constructor to apply the epoch-0 rate.</summary>
    protected void Initialize() => StepTo(0);

    /// <summary>The learning rate at <paramref name="epoch"/> for a group that started at <paramref name="baseLr"/>.</summary>
    protected abstract double LrAt(double baseLr, int epoch);
}

/// <summary>Multiplies the lr by gamma every stepSize epochs (<c>StepLR</c>).</summary>
public sealed class StepLR : LRScheduler
{
    private readonly int stepSize; private readonly double gamma;

    /// <summary>Creates the scheduler.</summary>
    public StepLR(Optimizer optimizer, int stepSize, double gamma = 0.1) : base(optimizer)
    {
        if (stepSize <= 0) throw new ArgumentException($"StepLR: stepSize must be positive, got {stepSize}.");
        (this.stepSize, this.gamma) = (stepSize, gamma);
        Initialize();
    }

    /// <inheritdoc/>
    protected override double LrAt(double baseLr, int epoch) => baseLr * Math.Pow(gamma, epoch / stepSize);
}

/// <summary>Multiplies the lr by gamma at each milestone epoch (<c>MultiStepLR</c>).</summary>
public sealed class MultiStepLR : LRScheduler
{
    private readonly int[] milestones; private readonly double gamma;

    /// <summary>Creates the scheduler.</summary>
    public MultiStepLR(Optimizer optimizer, IEnumerable<int> milestones, double gamma = 0.1) : base(optimizer)
    {
        this.milestones = milestones.Order().ToArray();
        this.gamma = gamma;
        Initialize();
    }

    /// <inheritdoc/>
    protected override double LrAt(double baseLr, int epoch) => baseLr * Math.Pow(gamma, milestones.Count(m => m <= epoch));
}

/// <summary>Multiplies the lr by gamma every epoch (<c>ExponentialLR</c>).</summary>
public sealed class ExponentialLR : LRScheduler
{
    private readonly double gamma;

    /// <summary>Creates the scheduler.</summary>
    public ExponentialLR(Optimizer optimizer, double gamma) : base(optimizer) { this.gamma = gamma; Initialize(); }

    /// <inheritdoc/>
    protected override double LrAt(double baseLr, int epoch) => baseLr * Math.Pow(gamma, epoch);
}

/// <summary>Cosine annealing from the base lr to etaMin over tMax epochs (<c>CosineAnnealingLR</c>).</summary>
public sealed class CosineAnnealingLR : LRScheduler
{
    private readonly int tMax; private readonly double etaMin;

    /// <summary>Creates the scheduler.</summary>
    public CosineAnnealingLR(Optimizer optimizer, int tMax, double etaMin = 0) : base(optimizer)
    {
        if (tMax <= 0) throw new ArgumentException($"CosineAnnealingLR: tMax must be positive, got {tMax}.");
        (this.tMax, this.etaMin) = (tMax, etaMin);
        Initialize();
    }

    /// <inheritdoc/>
    protected override double LrAt(double baseLr, int epoch) => etaMin + (baseLr - etaMin) * (1 + Math.Cos(Math.PI * epoch / tMax)) / 2;
}

/// <summary>Scales the lr linearly from startFactor to endFactor over totalIters epochs: warm-up (<c>LinearLR</c>).</summary>
public sealed class LinearLR : LRScheduler
{
    private readonly double startFactor, endFactor; private readonly int totalIters;

    /// <summary>Creates the scheduler.</summary>
    public LinearLR(Optimizer optimizer, double startFactor = 1.0 / 3, double endFactor = 1, int totalIters = 5) : base(optimizer)
    {
        if (startFactor <= 0 || startFactor > 1) throw new ArgumentException("Starting multiplicative factor expected to be greater than 0 and less or equal to 1.");
        if (endFactor < 0 || endFactor > 1) throw new ArgumentException("Ending multiplicative factor expected to be between 0 and 1.");
        (this.startFactor, this.endFactor, this.totalIters) = (startFactor, endFactor, totalIters);
        Initialize();
    }

    /// <inheritdoc/>
    protected override double LrAt(double baseLr, int epoch) =>
        baseLr * (startFactor + (endFactor - startFactor) * Math.Min(totalIters, epoch) / totalIters);
}

/// <summary>Sets the lr to base lr × lambda(epoch) (<c>LambdaLR</c>).</summary>
public sealed partial class LambdaLR : LRScheduler
{
    private readonly Func<int, double> lambda;

    /// <summary>Creates the scheduler.</summary>
    public LambdaLR(Optimizer optimizer, Func<int, double> lrLambda) : base(optimizer) { lambda = lrLambda; Initialize(); }

    /// <inheritdoc/>
    protected override double LrAt(double baseLr, int epoch) => baseLr * lambda(epoch);
}
