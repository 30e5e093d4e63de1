namespace Backprop.Optim;

/// <summary>
/// Cuts the lr by <c>factor</c> when a metric has not improved for more than <c>patience</c> epochs
/// (<c>torch.optim.lr_scheduler.ReduceLROnPlateau</c>), with PyTorch's threshold, cooldown and minLr rules.
/// </summary>
public sealed partial class ReduceLROnPlateau
{
    private readonly bool maximize, relative;
    private readonly double factor, threshold, minLr, eps;
    private readonly int patience, cooldown;
    private int cooldownCounter;

    /// <summary>Creates the scheduler. <paramref name="mode"/> is "min" or "max"; <paramref name="thresholdMode"/> "rel" or "abs".</summary>
    public ReduceLROnPlateau(Optimizer optimizer, string mode = "min", double factor = 0.1, int patience = 10, double threshold = 1e-4,
        string thresholdMode = "rel", int cooldown = 0, double minLr = 0, double eps = 1e-8)
    {
        if (factor >= 1) throw new ArgumentException("Factor should be < 1.0.");
        maximize = mode switch { "min" => false, "max" => true, _ => throw new ArgumentException($"mode {mode} is unknown!") };
        relative = thresholdMode switch { "rel" => true, "abs" => false, _ => throw new ArgumentException($"threshold mode {thresholdMode} is unknown!") };
        Optimizer = optimizer;
        (this.factor, this.patience, this.threshold, this.cooldown, this.minLr, this.eps) = (factor, patience, threshold, cooldown, minLr, eps);
        Best = maximize ? double.NegativeInfinity : double.PositiveInfinity;
    }

    /// <summary>The optimizer.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>Best metric seen so far.</summary>
    public double Best { get; private set; }

    /// <summary>Epochs since the last improvement (<c>num_bad_epochs</c>).</summary>
    public int NumBadEpochs { get; private set; }

    /// <summary>The current learning rates.</summary>
    public IReadOnlyList<double> LastLr => Optimizer.ParamGroups.Select(g => g.Lr).ToArray();

    /// <summary>Records this epoch's metric (e.g. validation loss) and reduces the lr if it has plateaued.</summary>
    public void Step(double metric)
    {
        if (IsBetter(metric)) { Best = metric; NumBadEpochs = 0; }
        else NumBadEpochs++;
        if (cooldownCounter > 0) { cooldownCounter--; NumBadEpochs = 0; }
        if (NumBadEpochs > patience)
        {
            foreach (var g in Optimizer.ParamGroups)
            {
                double newLr = Math.Max(g.Lr * factor, minLr);
                if (g.Lr - newLr > eps) g.Lr = newLr;
            }
            cooldownCounter = cooldown;
            NumBadEpochs = 0;
        }
    }

    private bool IsBetter(double a) => (maximize, relative) switch
    {
        (false, true) => a < Best * (1 - threshold),
        (false, false) => a < Best - threshold,
        (true, true) => a > Best * (threshold + 1),
        _ => a > Best + threshold,
    };
}
