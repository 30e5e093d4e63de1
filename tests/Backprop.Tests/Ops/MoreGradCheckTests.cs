using Backprop.NN;

namespace Backprop.Tests.Ops;

/// <summary>
/// The ops, layers and losses of issue #11 against central finite differences in Float64, first and second order:
/// odd sizes, batches of one and non-contiguous inputs (transposed or strided views of the leaves).
/// </summary>
public class MoreGradCheckTests
{
    public record Case(string Name, Func<Tensor[], Tensor> F, int[][] Shapes, bool Positive = false, Func<Tensor[]>? Make = null)
    {
        public override string ToString() => Name;
    }

    private static Tensor L(params long[] v) => Tensor.FromArray(v);
    private static Tensor D(double[,] v) => Tensor.FromArray(v);

    public static readonly Case[] Cases =
    [
        // elementwise math
        new("log1p", x => x[0].Log1p(), [[3, 5]], Positive: true),
        new("expm1", x => x[0].Expm1(), [[3, 5]]),
        new("sin of a transposed view", x => x[0].Transpose().Sin(), [[3, 5]]),
        new("cos", x => x[0].Cos(), [[7]]),
        new("floor ceil round (zero gradient)", x => x[0].Floor() * x[0] + x[0].Ceil() + x[0].Round() * 2, [[3, 4]]),
        new("reciprocal", x => x[0].Reciprocal(), [[3, 5]], Positive: true),
        new("rsqrt of a strided view", x => x[0].Slice(1, 0, null, 2).Rsqrt(), [[3, 5]], Positive: true),
        new("pow tensor exponent", x => x[0].Pow(x[1]), [[3, 5], [3, 5]], Positive: true),
        new("pow broadcast exponent", x => x[0].Pow(x[1]), [[3, 5], [5]], Positive: true),
        new("pow scalar base", x => Tensor.Pow(1.7, x[0]), [[2, 3]]),
        new("clamp tensor bounds", x => x[0].Clamp(x[1] - 0.3, x[2] + 0.3), [[4, 5], [5], [4, 1]]),
        new("clamp tensor max only", x => x[0].Clamp(max: x[1]), [[3, 4], [3, 4]]),
        // scans, products, norms, statistics
        new("cumsum dim 0", x => x[0].CumSum(0), [[4, 3]]),
        new("cumsum dim -1 of a transposed view", x => x[0].Transpose().CumSum(-1), [[5, 3]]),
        new("prod dim", x => x[0].Prod(1), [[3, 5]]),
        new("prod all", x => x[0].Prod(), [[2, 3]]),
        new("prod keepDim batch of one", x => x[0].Prod(0, keepDim: true), [[1, 4]]),
        new("prod with zeros", x => x[0].Prod(1), [], Make: () => [D(new double[,] { { 1.5, 0, -2, 3 }, { 0, 2, 0, 0.5 }, { 0.5, 2, 1, -1 } })]),
        new("norm p2", x => x[0].Norm(), [[3, 5]]),
        new("norm p1 dim", x => x[0].Norm(1, [1]), [[3, 5]]),
        new("norm p2 dims keepDim", x => x[0].Norm(2, [0, 2], keepDim: true), [[2, 3, 3]]),
        new("norm inf dim", x => x[0].Norm(double.PositiveInfinity, [1]), [[3, 5]]),
        new("norm p3", x => x[0].Norm(3, [0]), [[3, 5]]),
        new("frobenius of a transposed view", x => x[0].Transpose().FrobeniusNorm(), [[3, 5]]),
        new("mean dims", x => x[0].Mean([0, 2]), [[2, 3, 5]]),
        new("var dims", x => x[0].Var([1, 2], keepDim: true), [[2, 3, 5]]),
        new("std dims biased", x => x[0].Std([0, 1], correction: 0), [[3, 3, 2]]),
        // masks, sorting, reordering
        new("masked fill", x => x[0].MaskedFill(Tensor.FromArray(new double[] { 1, 0, 0, 1, 0 }), 3), [[3, 5]]),
        new("sort", x => x[0].Sort(1).Values, [[3, 5]]),
        new("sort descending dim 0 of a view", x => x[0].Transpose().Sort(0, descending: true).Values, [[3, 5]]),
        new("topk", x => x[0].TopK(2, 1).Values, [[3, 5]]),
        new("topk smallest", x => x[0].TopK(3, 0, largest: false).Values, [[5, 2]]),
        new("max with indices", x => x[0].MaxWithIndices(1).Values, [[3, 5]]),
        new("repeat", x => x[0].Repeat(2, 1, 3), [[3, 2]]),
        new("flip", x => x[0].Flip(0, 1) * x[0], [[3, 5]]),
        new("roll", x => x[0].Roll([2, -1], [0, 1]), [[3, 5]]),
        new("roll flattened", x => x[0].Roll(4), [[3, 5]]),
        new("tril", x => x[0].Tril(), [[4, 5]]),
        new("triu batched", x => x[0].Triu(-1), [[2, 3, 4]]),
        // padding and resampling
        new("pad constant", x => Functional.Pad(x[0], [1, 2, -1, 1], value: 0.5), [[1, 2, 3, 5]]),
        new("pad reflect", x => Functional.Pad(x[0], [2, 1, 1, 2], PadMode.Reflect), [[1, 2, 3, 5]]),
        new("pad replicate", x => Functional.Pad(x[0], [3, 0, 1, 1], PadMode.Replicate), [[2, 1, 3, 3]]),
        new("upsample scale 2", x => Functional.Interpolate(x[0], scaleFactor: [2]), [[1, 2, 3, 3]]),
        new("upsample size", x => Functional.Interpolate(x[0], size: [5, 4]), [[1, 1, 3, 3]]),
        // activations
        new("silu", x => Functional.Silu(x[0]), [[3, 5]]),
        new("mish", x => Functional.Mish(x[0]), [[3, 5]]),
        new("hardtanh", x => x[0].Hardtanh(-0.7, 0.9), [[3, 5]]),
        new("softsign", x => Functional.Softsign(x[0]), [[3, 5]]),
        new("prelu per channel", x => Functional.PRelu(x[0], x[1]), [[2, 3, 2], [3]]),
        new("prelu shared", x => Functional.PRelu(x[0], x[1]), [[3, 5], [1]]),
        new("dropout2d (same seed every call)", x => Functional.Dropout2d(x[0], 0.4, generator: new Generator(5)), [[3, 4, 2, 3]]),
        // normalisation and embedding
        new("batch norm training 4-D", x => Functional.BatchNorm(x[0], null, null, x[1], x[2], training: true), [[3, 2, 3, 1], [2], [2]]),
        new("batch norm training 2-D non-contiguous", x => Functional.BatchNorm(x[0].Transpose(), null, null, x[1], x[2], training: true), [[3, 5], [3], [3]]),
        new("batch norm eval (running statistics are constants)", x => Functional.BatchNorm(x[0], Tensor.FromArray(new double[] { 0.1, -0.2, 0.3 }), Tensor.FromArray(new double[] { 0.5, 1, 2 }), x[1], x[2]), [[2, 3], [3], [3]]),
        new("layer norm", x => Functional.LayerNorm(x[0], [3, 5], x[1], x[2]), [[2, 3, 5], [3, 5], [3, 5]]),
        new("layer norm batch of one", x => Functional.LayerNorm(x[0], [5], eps: 1e-3), [[1, 5]]),
        new("group norm", x => Functional.GroupNorm(x[0], 2, x[1], x[2]), [[2, 4, 3], [4], [4]]),
        new("group norm batch of one", x => Functional.GroupNorm(x[0], 1), [[1, 3, 2, 3]]),
        // The padding row's gradient is zero by definition, not by calculus; here it is a row no index reads (PyTorch's
        // padding gradient itself is compared in OpsReferenceTests and EmbeddingAndLayersTests).
        new("embedding with a padding row", x => Functional.Embedding(Tensor.FromArray(new long[,] { { 0, 2, 4 }, { 2, 1, 1 } }), x[0], paddingIdx: 3), [[5, 3]]),
        // losses
        new("kl div batchmean", x => Functional.KLDiv(x[0].LogSoftmax(1), x[1].Softmax(1), batchMean: true), [[3, 5], [3, 5]]),
        new("kl div mean", x => Functional.KLDiv(x[0], x[1].Abs() + 0.1), [[3, 5], [3, 5]]),
        new("kl div log target", x => Functional.KLDiv(x[0], x[1], Reduction.None, logTarget: true), [[3, 5], [3, 5]]),
        new("cosine embedding", x => Functional.CosineEmbeddingLoss(x[0], x[1], Tensor.FromArray(new double[] { 1, -1, -1 }), 0.1, Reduction.None), [[3, 5], [3, 5]]),
        new("margin ranking", x => Functional.MarginRankingLoss(x[0], x[1], Tensor.FromArray(new double[] { 1, -1, 1, -1, 1 }), 0.2, Reduction.Sum), [[5], [5]]),
        new("cosine similarity", x => Functional.CosineSimilarity(x[0], x[1], 1), [[3, 5], [3, 5]]),
        new("cosine similarity broadcast", x => Functional.CosineSimilarity(x[0], x[1], -1), [[2, 3, 4], [4]]),
    ];

    public static TheoryData<Case> AllCases() => new(Cases);

    private static Tensor[] Inputs(Case c)
    {
        if (c.Make is not null) return c.Make().Select(t => t.RequiresGrad_()).ToArray();
        var g = new Generator(7);
        return c.Shapes.Select(s =>
        {
            var t = Tensor.Randn(s, g, DType.Float64);
            if (c.Positive) t = t.Abs() + 0.5;
            return t.Detach().RequiresGrad_();
        }).ToArray();
    }

    [Theory]
    [MemberData(nameof(AllCases))]
    public void FirstOrder(Case c) => Assert.True(GradCheck.Check(c.F, Inputs(c)));

    [Theory]
    [MemberData(nameof(AllCases))]
    public void SecondOrder(Case c) => Assert.True(GradCheck.CheckSecondOrder(c.F, Inputs(c)));

    [Fact]
    public void NonContiguousLeaf_NewOps()
    {
        var x = Tensor.Randn([5, 3], new Generator(9), DType.Float64).Transpose().RequiresGrad_();
        Assert.False(x.IsContiguous);
        Assert.True(GradCheck.Check(v => v[0].CumSum(1) + v[0].Sort(1).Values + v[0].Prod(1, keepDim: true), [x]));
        Assert.True(GradCheck.Check(v => Functional.LayerNorm(v[0], [5]) + v[0].Expm1(), [x]));
    }
}
