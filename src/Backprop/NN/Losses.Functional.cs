namespace Backprop.NN;

public static partial class Functional
{
    /// <summary>Mean squared error (x − y)² (<c>F.mse_loss</c>).</summary>
    public static Tensor MseLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        var d = input - SameShape(target, input, "MseLoss");
        return Reduce(d * d, reduction);
    }

    /// <summary>Mean absolute error |x − y| (<c>F.l1_loss</c>).</summary>
    public static Tensor L1Loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean) =>
        Reduce((input - SameShape(target, input, "L1Loss")).Abs(), reduction);

    /// <summary>Huber loss: ½d² for |d| &lt; δ, else δ(|d| − ½δ) (<c>F.huber_loss</c>).</summary>
    public static Tensor HuberLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, double delta = 1)
    {
        if (delta <= 0) throw new ArgumentException($"HuberLoss: delta must be positive, got {delta}.");
        var d = input - SameShape(target, input, "HuberLoss");
        var a = d.Abs();
        return Reduce(Tensor.Where(a < delta, 0.5 * d * d, delta * (a - 0.5 * delta)), reduction);
    }

    /// <summary>Smooth L1: ½d²/β for |d| &lt; β, else |d| − ½β; β = 0 is L1 (<c>F.smooth_l1_loss</c>).</summary>
    public static Tensor SmoothL1Loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, double beta = 1)
    {
        if (beta < 0) throw new ArgumentException($"SmoothL1Loss: beta must be non-negative, got {beta}.");
        var d = input - SameShape(target, input, "SmoothL1Loss");
        var a = d.Abs();
        return Reduce(beta == 0 ? a : Tensor.Where(a < beta, 0.5 * d * d / beta, a - 0.5 * beta), reduction);
    }

    /// <summary>
    /// Binary cross-entropy on probabilities, −w[y·log x + (1−y)·log(1−x)] with the logs clamped at −100 as in PyTorch
    /// (<c>F.binary_cross_entropy</c>), and PyTorch's gradient (x − y) / max(x(1 − x), 1e-12), finite at x = 0 and 1.
    /// </summary>
    public static Tensor BceLoss(Tensor input, Tensor target, Tensor? weight = null, Reduction reduction = Reduction.Mean)
    {
        SameShape(target, input, "BceLoss");
        Tensor loss;
        using (Autograd.NoGrad())
            loss = -(target * input.Log().Clamp(min: -100) + (1 - target) * (1 - input).Log().Clamp(min: -100));
        // PyTorch's dedicated rules: d/dx = (x − y) / max(x(1 − x), 1e-12), finite where a probability is exactly 0 or 1
        // (the chain rule through log would give 0·∞ = NaN there); d/dy = log(1 − x) − log(x).
        loss = Node.Record(loss, "BinaryCrossEntropyBackward", [input, target], g =>
        [
            input.RequiresGrad ? g * (input - target) / (input * (1 - input)).Clamp(min: 1e-12) : null,
            target.RequiresGrad ? g * ((1 - input).Log() - input.Log()) : null,
        ], input, target);
        if (weight is not null) loss = loss * weight;
        return Reduce(loss, reduction);
    }

    /// <summary>
    /// Binary cross-entropy on logits, computed stably as (1−y)·x + (1 + (p−1)·y)·softplus(−x), where p is
    /// <paramref name="posWeight"/> (broadcast over the last dim, one weight per class) (<c>F.binary_cross_entropy_with_logits</c>).
    /// </summary>
    public static Tensor BceWithLogitsLoss(Tensor input, Tensor target, Tensor? weight = null, Tensor? posWeight = null, Reduction reduction = Reduction.Mean)
    {
        SameShape(target, input, "BceWithLogitsLoss");
        var softplusNeg = (-input).Softplus(1, double.PositiveInfinity);
        var logWeight = posWeight is null ? null : (posWeight - 1) * target + 1;
        var loss = (1 - target) * input + (logWeight is null ? softplusNeg : logWeight * softplusNeg);
        if (weight is not null) loss = loss * weight;
        return Reduce(loss, reduction);
    }

    /// <summary>
    /// Negative log-likelihood of class-index targets under log-probabilities [N, C] (or [N, C, d...])
    /// (<c>F.nll_loss</c>): −w[y]·input[n, y]. Targets equal to <paramref name="ignoreIndex"/> contribute nothing;
    /// the mean divides by the summed weights of the counted targets.
    /// </summary>
    public static Tensor NllLoss(Tensor input, Tensor target, Tensor? weight = null, long ignoreIndex = -100, Reduction reduction = Reduction.Mean)
    {
        var (logp, t, restore) = FlattenClasses(input, target, "NllLoss");
        var (picked, w) = PickTargets(logp, t, weight, ignoreIndex, "NllLoss");
        var loss = -(picked * w);
        return reduction switch
        {
            Reduction.Mean => loss.Sum() / w.Sum(),
            Reduction.Sum => loss.Sum(),
            _ => loss.Reshape(restore),
        };
    }

    /// <summary>
    /// Cross-entropy of logits [N, C] (or [N, C, d...]) against class indices or class probabilities
    /// (<c>F.cross_entropy</c>), through a fused, stable log-softmax. Supports class weights, <paramref name="ignoreIndex"/>
    /// (index targets) and <paramref name="labelSmoothing"/>, with PyTorch's normalisation for each combination.
    /// </summary>
    public static Tensor CrossEntropy(Tensor input, Tensor target, Tensor? weight = null, long ignoreIndex = -100,
        Reduction reduction = Reduction.Mean, double labelSmoothing = 0)
    {
        if (labelSmoothing < 0 || labelSmoothing > 1) throw new ArgumentException($"CrossEntropy: labelSmoothing must be in [0, 1], got {labelSmoothing}.");
        if (input.Rank < 1) throw new ArgumentException("CrossEntropy: input must have a class dimension.");
        if (target.DType.IsFloatingPoint()) return CrossEntropyProbabilities(input, target, weight, reduction, labelSmoothing);

        var (logits, t, restore) = FlattenClasses(input, target, "CrossEntropy");
        if (labelSmoothing == 0) return FusedCrossEntropy(logits, t, weight, ignoreIndex, reduction, restore);
        var logp = logits.LogSoftmax(1);
        int classes = logp.Shape[1];
        var (picked, w) = PickTargets(logp, t, weight, ignoreIndex, "CrossEntropy");
        var nll = -(picked * w);
        Tensor Reduced(Tensor perSample, Tensor norm) => reduction switch
        {
            Reduction.Mean => perSample.Sum() / norm.Sum(),
            Reduction.Sum => perSample.Sum(),
            _ => perSample.Reshape(restore),
        };
        var result = Reduced(nll, w);
        if (labelSmoothing == 0) return result;

        var counted = t.Ne(Tensor.ScalarLike(ignoreIndex, t)).To(logp.DType);
        var weighted = weight is null ? logp : logp * weight;
        var smooth = -weighted.Sum(1) * counted;
        return (1 - labelSmoothing) * result + Reduced(smooth, w) * (labelSmoothing / classes);
    }

    /// <summary>
    /// Cross-entropy on class indices as one node: the forward computes a stable log-softmax and picks the targets; the
    /// backward is (softmax − onehot)·wₙ·g / norm in one pass, or the same expression from differentiable ops when a graph
    /// of the backward is being built (higher-order gradients).
    /// </summary>
    private static Tensor FusedCrossEntropy(Tensor logits, Tensor target, Tensor? weight, long ignoreIndex, Reduction reduction, int[] restore)
    {
        Tensor logp, picked, w;
        Tensor? norm;
        using (Autograd.NoGrad())
        {
            logp = logits.Detach().LogSoftmax(1);
            (picked, w) = PickTargets(logp, target, weight, ignoreIndex, "CrossEntropy");
            norm = reduction == Reduction.Mean ? w.Sum() : null; // stays a tensor: no host round-trip
        }
        var perSample = -(picked * w);
        var loss = reduction switch
        {
            Reduction.Mean => perSample.Sum() / norm!,
            Reduction.Sum => perSample.Sum(),
            _ => perSample.Reshape(restore),
        };
        var safeTarget = Tensor.Where(target.Eq(Tensor.ScalarLike(ignoreIndex, target)), Tensor.ScalarLike(0, target), target);
        return Tensor.RecordCrossEntropy(loss, logits, logp, safeTarget, w, norm, perSample: reduction == Reduction.None);
    }

    private static Tensor CrossEntropyProbabilities(Tensor input, Tensor target, Tensor? weight, Reduction reduction, double labelSmoothing)
    {
        SameShape(target, input, "CrossEntropy (probability targets)");
        int classes = input.Rank == 1 ? input.Shape[0] : input.Shape[1];
        int classDim = input.Rank == 1 ? 0 : 1;
        var logp = input.LogSoftmax(classDim);
        var y = labelSmoothing > 0 ? target * (1 - labelSmoothing) + labelSmoothing / classes : target;
        var prod = logp * y;
        if (weight is not null)
        {
            var shape = Enumerable.Repeat(1, input.Rank).ToArray();
            shape[classDim] = classes;
            prod = prod * weight.Reshape(shape);
        }
        var loss = -prod.Sum(classDim);
        return Reduce(loss, reduction);
    }

    /// <summary>Moves the class dim last and flattens: [N, C, d...] → [N·d…, C], targets → [N·d…].</summary>
    private static (Tensor Input, Tensor Target, int[] TargetShape) FlattenClasses(Tensor input, Tensor target, string op)
    {
        if (target.DType != DType.Int64)
            throw new ArgumentException($"{op}: class-index targets must be Int64, got {target.DType}.");
        if (input.Rank == 1)
        {
            if (target.Rank != 0) throw new ArgumentException($"{op}: for an input of shape {input.ShapeString} the target must be a 0-d class index, got shape {target.ShapeString}.");
            return (input.Unsqueeze(0), target.Reshape([1]), []);
        }
        var expected = input.Shape.ToArray().Where((_, i) => i != 1).ToArray();
        if (!target.Shape.SequenceEqual(expected))
            throw new ArgumentException($"{op}: input of shape {input.ShapeString} needs a target of shape {ShapeUtil.Format(expected)}, got {target.ShapeString}.");
        if (input.Rank == 2) return (input, target, expected);
        var perm = new int[input.Rank];
        perm[0] = 0;
        for (int i = 2; i < input.Rank; i++) perm[i - 1] = i;
        perm[^1] = 1;
        return (input.Permute(perm).Reshape([-1, input.Shape[1]]), target.Reshape([-1]), expected);
    }

    /// <summary>The log-probability of each target and its weight (0 for ignored targets), on the tensors' device.</summary>
    private static (Tensor Picked, Tensor Weight) PickTargets(Tensor logp, Tensor target, Tensor? weight, long ignoreIndex, string op) =>
        Tensor.PickTargets(logp, target, weight, ignoreIndex, op);

    private static Tensor SameShape(Tensor target, Tensor input, string op)
    {
        if (!target.Shape.SequenceEqual(input.Shape))
            throw new ArgumentException(
                $"{op}: target shape {target.ShapeString} differs from input shape {input.ShapeString}. PyTorch would broadcast with a warning, " +
                "which usually hides a bug (e.g. [N, 1] against [N]); reshape one of them.");
        return target;
    }

    private static Tensor Reduce(Tensor loss, Reduction reduction) => reduction switch
    {
        Reduction.Mean => loss.Mean(),
        Reduction.Sum => loss.Sum(),
        _ => loss,
    };
}
