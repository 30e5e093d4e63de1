namespace Backprop.Optim;

/// <summary>
/// Runs schedulers one after another, switching at the milestone epochs (<c>SequentialLR</c>), e.g. a
/// <see cref="LinearLR"/> warm-up followed by <see cref="CosineAnnealingLR"/>. Each scheduler restarts from its epoch 0.
/// </summary>
public sealed partial class SequentialLR
{
    private readonly LRScheduler[] schedulers;
    private readonly int[] milestones;

    /// <summary>Creates the sequence; there must be one milestone fewer than schedulers.</summary>
    public SequentialLR(Optimizer optimizer, IReadOnlyList<LRScheduler> schedulers, IReadOnlyList<int> milestones)
    {
        if (schedulers.Count == 0) throw new ArgumentException("SequentialLR expects at least one scheduler.");
        if (milestones.Count != schedulers.Count - 1)
            throw new ArgumentException($"SequentialLR expects the number of schedulers provided to be one more than the number of milestone points, but got {schedulers.Count} schedulers and {milestones.Count} milestones.");
        foreach (var s in schedulers)
            if (!ReferenceEquals(s.Optimizer, optimizer))
                throw new ArgumentException("SequentialLR expects all schedulers to belong to the same optimizer.");
        this.schedulers = [.. schedulers];
        this.milestones = [.. milestones];
        Optimizer = optimizer;
        foreach (var g in optimizer.ParamGroups) g.Lr = g.Options["initial_lr"];
        this.schedulers[0].StepTo(0);
    }

    /// <summary>The optimizer.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>Number of steps so far.</summary>
    public int LastEpoch { get; private set; }

    /// <summary>The current learning rates.</summary>
    public IReadOnlyList<double> LastLr => Optimizer.ParamGroups.Select(g => g.Lr).ToArray();

    /// <summary>Advances one epoch in the active scheduler, restarting the next one at its milestone.</summary>
    public void Step()
    {
        LastEpoch++;
        int idx = milestones.Count(m => m <= LastEpoch);
        var scheduler = schedulers[idx];
        if (idx > 0 && milestones[idx - 1] == LastEpoch) scheduler.StepTo(0);
        else scheduler.Step();
    }
}
