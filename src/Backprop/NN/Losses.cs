namespace Backprop.NN;

/// <summary>Base of loss modules: <c>Forward(input, target)</c> returns the loss (<c>torch.nn.modules.loss._Loss</c>).</summary>
public abstract class Loss(Reduction reduction) : Module
{
    /// <summary>How per-element losses are combined.</summary>
    public Reduction Reduction { get; } = reduction;

    /// <summary>Computes the loss of <paramref name="input"/> against <paramref name="target"/>.</summary>
    public abstract Tensor Forward(Tensor input, Tensor target);

    /// <summary>Losses need a target: use <see cref="Forward(Tensor, Tensor)"/>.</summary>
    public override Tensor Forward(Tensor input) =>
        throw new InvalidOperationException($"{GetType().Name} needs a target: call Forward(input, target).");
}

/// <summary>Mean squared error (<c>torch.nn.MSELoss</c>).</summary>
public sealed class MseLoss(Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.MseLoss(input, target, Reduction);
}

/// <summary>Mean absolute error (<c>torch.nn.L1Loss</c>).</summary>
public sealed class L1Loss(Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.L1Loss(input, target, Reduction);
}

/// <summary>Huber loss (<c>torch.nn.HuberLoss</c>).</summary>
public sealed class HuberLoss(Reduction reduction = Reduction.Mean, double delta = 1) : Loss(reduction)
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.HuberLoss(input, target, Reduction, delta);
}

/// <summary>Smooth L1 loss (<c>torch.nn.SmoothL1Loss</c>).</summary>
public sealed class SmoothL1Loss(Reduction reduction = Reduction.Mean, double beta = 1) : Loss(reduction)
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.SmoothL1Loss(input, target, Reduction, beta);
}

/// <summary>Binary cross-entropy on probabilities (<c>torch.nn.BCELoss</c>).</summary>
public sealed class BceLoss(Tensor? weight = null, Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.BceLoss(input, target, weight, Reduction);
}

/// <summary>Binary cross-entropy on logits, numerically stable, with optional posWeight (<c>torch.nn.BCEWithLogitsLoss</c>).</summary>
public sealed class BceWithLogitsLoss(Tensor? weight = null, Tensor? posWeight = null, Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.BceWithLogitsLoss(input, target, weight, posWeight, Reduction);
}

/// <summary>Cross-entropy of logits against class indices or probabilities (<c>torch.nn.CrossEntropyLoss</c>).</summary>
public sealed class CrossEntropyLoss(Tensor? weight = null, long ignoreIndex = -100, Reduction reduction = Reduction.Mean, double labelSmoothing = 0) : Loss(reduction)
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) =>
        Functional.CrossEntropy(input, target, weight, ignoreIndex, Reduction, labelSmoothing);
}

/// <summary>Negative log-likelihood of log-probabilities (<c>torch.nn.NLLLoss</c>).</summary>
public sealed class NllLoss(Tensor? weight = null, long ignoreIndex = -100, Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.NllLoss(input, target, weight, ignoreIndex, Reduction);
}
