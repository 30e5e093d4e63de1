namespace Backprop.NN;

/// <summary>
/// Kullback–Leibler divergence of a target distribution from log-probabilities (<c>torch.nn.KLDivLoss</c>):
/// target·(log target − input), or with <c>logTarget</c> exp(target)·(target − input). <c>batchMean</c> divides the sum
/// by the batch size (PyTorch's <c>reduction='batchmean'</c>, the mathematically correct KL); otherwise
/// <c>reduction</c> applies to the elements.
/// </summary>
public sealed class KLDivLoss(Reduction reduction = Reduction.Mean, bool logTarget = false, bool batchMean = false) : Loss(reduction)
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.KLDiv(input, target, Reduction, logTarget, batchMean);
}

/// <summary>
/// 1 − cos(x₁, x₂) for target 1, max(0, cos(x₁, x₂) − margin) for target −1, per row of [N, D] (or one [D] pair)
/// (<c>torch.nn.CosineEmbeddingLoss</c>).
/// </summary>
public sealed class CosineEmbeddingLoss(double margin = 0, Reduction reduction = Reduction.Mean) : Module
{
    /// <summary>The loss of the pairs (<paramref name="input1"/>, <paramref name="input2"/>) labelled ±1 by <paramref name="target"/>.</summary>
    public Tensor Forward(Tensor input1, Tensor input2, Tensor target) => Functional.CosineEmbeddingLoss(input1, input2, target, margin, reduction);

    /// <summary>Needs two inputs and a target: use <see cref="Forward(Tensor, Tensor, Tensor)"/>.</summary>
    public override Tensor Forward(Tensor input) =>
        throw new InvalidOperationException("CosineEmbeddingLoss needs two inputs and a target: call Forward(input1, input2, target).");
}

/// <summary>max(0, −y·(x₁ − x₂) + margin) (<c>torch.nn.MarginRankingLoss</c>).</summary>
public sealed class MarginRankingLoss(double margin = 0, Reduction reduction = Reduction.Mean) : Module
{
    /// <summary>The loss of ranking <paramref name="input1"/> above <paramref name="input2"/> where <paramref name="target"/> is 1 (below where −1).</summary>
    public Tensor Forward(Tensor input1, Tensor input2, Tensor target) => Functional.MarginRankingLoss(input1, input2, target, margin, reduction);

    /// <summary>Needs two inputs and a target: use <see cref="Forward(Tensor, Tensor, Tensor)"/>.</summary>
    public override Tensor Forward(Tensor input) =>
        throw new InvalidOperationException("MarginRankingLoss needs two inputs and a target: call Forward(input1, input2, target).");
}

/// <summary>Cosine similarity of two tensors along a dim (<c>torch.nn.CosineSimilarity</c>, dim 1, eps 1e-8).</summary>
public sealed class CosineSimilarity(int dim = 1, double eps = 1e-8) : Module
{
    /// <summary>cos(x₁, x₂) along the dim.</summary>
    public Tensor Forward(Tensor input1, Tensor input2) => Functional.CosineSimilarity(input1, input2, dim, eps);

    /// <summary>Needs two inputs: use <see cref="Forward(Tensor, Tensor)"/>.</summary>
    public override Tensor Forward(Tensor input) =>
        throw new InvalidOperationException("CosineSimilarity needs two inputs: call Forward(input1, input2).");
}
