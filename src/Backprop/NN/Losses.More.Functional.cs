namespace Backprop.NN;

public static partial class Functional
{
    /// <summary>
    /// KL divergence (<c>F.kl_div</c>): target·(log target − input) with 0 where target = 0 (xlogy), or
    /// exp(target)·(target − input) with <paramref name="logTarget"/>. <paramref name="batchMean"/> divides the sum by
    /// input.shape[0] (<c>reduction='batchmean'</c>).
    /// </summary>
    public static Tensor KLDiv(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, bool logTarget = false, bool batchMean = false)
    {
        SameShape(target, input, "KLDivLoss");
        Tensor loss;
        if (logTarget) loss = target.Exp() * (target - input);
        else
        {
            var positive = target > 0;
            var safeLog = Tensor.Where(positive, target, Tensor.OnesLike(target)).Log();
            loss = Tensor.Where(positive, target * safeLog, Tensor.ZerosLike(target)) - target * input;
        }
        if (batchMean) return loss.Sum() / (input.Rank == 0 ? 1 : input.Shape[0]);
        return Reduce(loss, reduction);
    }

    /// <summary>
    /// Cosine embedding loss (<c>F.cosine_embedding_loss</c>) with PyTorch's cosine: Σx₁x₂ / √((Σx₁² + 1e-12)(Σx₂² + 1e-12))
    /// along the last dim; 1 − cos for target 1, max(0, cos − margin) for target −1.
    /// </summary>
    public static Tensor CosineEmbeddingLoss(Tensor input1, Tensor input2, Tensor target, double margin = 0, Reduction reduction = Reduction.Mean)
    {
        if (!input1.Shape.SequenceEqual(input2.Shape) || input1.Rank < 1 || input1.Rank > 2)
            throw new ArgumentException($"CosineEmbeddingLoss: inputs must both be [N, D] or [D], got {input1.ShapeString} and {input2.ShapeString}.");
        var expected = input1.Shape[..^1].ToArray();
        if (!target.Shape.SequenceEqual(expected))
            throw new ArgumentException($"CosineEmbeddingLoss: target must have shape {ShapeUtil.Format(expected)} for inputs of shape {input1.ShapeString}, got {target.ShapeString}.");
        const double epsilon = 1e-12;
        var prod = (input1 * input2).Sum(-1);
        var mag1 = (input1 * input1).Sum(-1) + epsilon;
        var mag2 = (input2 * input2).Sum(-1) + epsilon;
        var cos = prod / (mag1 * mag2).Sqrt();
        var zeros = Tensor.ZerosLike(cos);
        var t = target.To(cos.DType);
        var loss = Tensor.Where(t.Eq(1), 1 - cos, zeros) + Tensor.Where(t.Eq(-1), (cos - margin).Clamp(min: 0), zeros);
        return Reduce(loss, reduction);
    }

    /// <summary>max(0, −y·(x₁ − x₂) + margin) (<c>F.margin_ranking_loss</c>); inputs and target broadcast.</summary>
    public static Tensor MarginRankingLoss(Tensor input1, Tensor input2, Tensor target, double margin = 0, Reduction reduction = Reduction.Mean)
    {
        ShapeUtil.Broadcast(ShapeUtil.Broadcast(input1.Shape, input2.Shape, "MarginRankingLoss"), target.Shape, "MarginRankingLoss");
        return Reduce((-target * (input1 - input2) + margin).Clamp(min: 0), reduction);
    }

    /// <summary>
    /// Cosine similarity along <paramref name="dim"/> (<c>F.cosine_similarity</c>, PyTorch 1.13's formula):
    /// Σx₁x₂ / √(max(Σx₁², eps²)·max(Σx₂², eps²)), with the inputs broadcast against each other. Like PyTorch, which clamps
    /// the squared norms in place under no-grad, the gradient passes through the clamps as if they were not there.
    /// </summary>
    public static Tensor CosineSimilarity(Tensor x1, Tensor x2, int dim = 1, double eps = 1e-8)
    {
        var shape = ShapeUtil.Broadcast(x1.Shape, x2.Shape, "CosineSimilarity");
        int d = ShapeUtil.NormalizeDim(dim, shape.Length, "CosineSimilarity");
        var w12 = (x1 * x2).Sum(d);
        var w1 = (x1 * x1).Expand(shape).Sum(d);
        var w2 = (x2 * x2).Expand(shape).Sum(d);
        return w12 / (ClampMinPassingGradient(w1, eps * eps) * ClampMinPassingGradient(w2, eps * eps)).Sqrt();
    }

    /// <summary>max(x, min) whose gradient is the incoming gradient unchanged (a clamp applied in place under no-grad).</summary>
    private static Tensor ClampMinPassingGradient(Tensor x, double min)
    {
        Tensor y;
        using (Autograd.NoGrad()) y = x.Detach().Clamp(min: min);
        return Node.Record(y, "ClampMinBackward", [x], g => [g]);
    }
}
