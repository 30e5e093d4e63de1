namespace Backprop.Tests.Ops;

/// <summary>Every differentiable op checked against central finite differences in Float64 (first and second order).</summary>
public class GradCheckTests
{
    public record Case(string Name, Func<Tensor[], Tensor> F, int[][] Shapes, bool Positive = false, bool SecondOrder = true)
    {
        public override string ToString() => Name;
    }

    private static Tensor L(long[] v) => Tensor.FromArray(v);

    public static readonly Case[] Cases =
    [
        // arithmetic with broadcasting
        new("add", x => x[0] + x[1], [[3, 4], [3, 4]]),
        new("add broadcast row", x => x[0] + x[1], [[3, 4], [4]]),
        new("add broadcast both", x => x[0] + x[1], [[2, 1, 3], [4, 1]]),
        new("sub broadcast", x => x[0] - x[1], [[3, 1], [1, 4]]),
        new("mul broadcast", x => x[0] * x[1], [[2, 3, 4], [3, 1]]),
        new("div broadcast", x => x[0] / x[1], [[3, 4], [4]], Positive: true),
        new("scalar ops", x => (x[0] * 2 + 1) - 3 * x[0] / 4, [[5]]),
        new("scalar ops on a transposed view", x => (0.5 + x[0].Transpose(0, 1) - 0.25) * x[0].Transpose(0, 1) / 3, [[3, 4]]),
        new("scalar divided by tensor", x => 2 / x[0] - (1 - x[0]), [[5]], Positive: true),
        new("neg", x => -x[0], [[2, 3]]),
        new("maximum", x => Tensor.Maximum(x[0], x[1]), [[3, 4], [4]]),
        new("minimum", x => Tensor.Minimum(x[0], x[1]), [[3, 4], [3, 1]]),
        new("where", x => Tensor.Where(x[0] > 0, x[1], x[2]), [[3, 4], [3, 4], [4]]),
        // unary math and activations
        new("exp", x => x[0].Exp(), [[3, 4]]),
        new("log", x => x[0].Log(), [[3, 4]], Positive: true),
        new("sqrt", x => x[0].Sqrt(), [[3, 4]], Positive: true),
        new("abs", x => x[0].Abs(), [[3, 4]]),
        new("pow 3", x => x[0].Pow(3), [[3, 4]]),
        new("pow 2", x => x[0].Pow(2), [[3, 4]]),
        new("pow 0.5", x => x[0].Pow(0.5), [[3, 4]], Positive: true),
        new("clamp", x => x[0].Clamp(-0.5, 0.5), [[4, 5]]),
        new("clamp min only", x => x[0].Clamp(min: 0.1), [[4, 5]]),
        new("erf", x => x[0].Erf(), [[3, 4]]),
        new("sigmoid", x => x[0].Sigmoid(), [[3, 4]]),
        new("tanh", x => x[0].Tanh(), [[3, 4]]),
        new("relu", x => x[0].Relu(), [[3, 4]]),
        new("leaky relu", x => x[0].LeakyRelu(0.1), [[3, 4]]),
        new("gelu", x => x[0].Gelu(), [[3, 4]]),
        new("gelu tanh", x => x[0].Gelu("tanh"), [[3, 4]]),
        new("softmax dim 1", x => x[0].Softmax(1), [[3, 4]]),
        new("softmax dim 0", x => x[0].Softmax(0), [[3, 4]]),
        new("softmax 3-d middle", x => x[0].Softmax(1), [[2, 3, 4]]),
        new("log softmax dim -1", x => x[0].LogSoftmax(-1), [[3, 4]]),
        new("log softmax dim 0", x => x[0].LogSoftmax(0), [[2, 3, 4]]),
        // reductions over each dim
        new("sum", x => x[0].Sum(), [[3, 4]]),
        new("sum dim 0", x => x[0].Sum(0), [[2, 3, 4]]),
        new("sum dim 1 keepDim", x => x[0].Sum(1, keepDim: true), [[2, 3, 4]]),
        new("sum dim 2", x => x[0].Sum(2), [[2, 3, 4]]),
        new("sum dims 0,2", x => x[0].Sum([0, 2]), [[2, 3, 4]]),
        new("mean", x => x[0].Mean(), [[3, 4]]),
        new("mean dim 0", x => x[0].Mean(0), [[2, 3, 4]]),
        new("mean dim 1", x => x[0].Mean(1, keepDim: true), [[2, 3, 4]]),
        new("mean dim 2", x => x[0].Mean(-1), [[2, 3, 4]]),
        new("max", x => x[0].Max(), [[3, 4]]),
        new("min", x => x[0].Min(), [[3, 4]]),
        new("max dim 0", x => x[0].Max(0), [[3, 4]]),
        new("max dim 1 keepDim", x => x[0].Max(1, keepDim: true), [[3, 4]]),
        new("min dim 2", x => x[0].Min(2), [[2, 3, 4]]),
        new("var", x => x[0].Var(), [[3, 4]]),
        new("var dim 0", x => x[0].Var(0), [[3, 4]]),
        new("std dim 1", x => x[0].Std(1, keepDim: true), [[3, 4]]),
        new("std", x => x[0].Std(correction: 0), [[3, 4]]),
        new("logsumexp dim 1", x => x[0].LogSumExp(1), [[3, 4]]),
        new("logsumexp dim 0", x => x[0].LogSumExp(0, keepDim: true), [[3, 4]]),
        // linear algebra
        new("matmul 2d", x => x[0].MatMul(x[1]), [[3, 4], [4, 5]]),
        new("matmul dot", x => x[0].MatMul(x[1]), [[4], [4]]),
        new("matmul vec-mat", x => x[0].MatMul(x[1]), [[4], [4, 3]]),
        new("matmul mat-vec", x => x[0].MatMul(x[1]), [[3, 4], [4]]),
        new("matmul batched", x => x[0].MatMul(x[1]), [[2, 3, 4], [2, 4, 5]]),
        new("matmul batch broadcast", x => x[0].MatMul(x[1]), [[2, 3, 4], [4, 5]]),
        new("matmul batch broadcast both", x => x[0].MatMul(x[1]), [[1, 3, 4], [2, 4, 2]]),
        new("linear", x => Tensor.Linear(x[0], x[1], x[2]), [[5, 3], [4, 3], [4]]),
        new("matmul through the packed GEMM", x => x[0].MatMul(x[1]), [[13, 40], [40, 20]], SecondOrder: false),
        new("linear fused (transposed weight)", x => Tensor.Linear(x[0], x[1].Transpose(), x[2]), [[13, 40], [40, 20], [20]], SecondOrder: false),
        // views
        new("reshape", x => x[0].Reshape([4, -1]) * 2, [[2, 3, 2]]),
        new("view", x => x[0].View([6, 2]).Exp(), [[2, 3, 2]]),
        new("transpose", x => x[0].Transpose(0, 1).Exp(), [[3, 4]]),
        new("permute", x => x[0].Permute(2, 0, 1) * x[1], [[2, 3, 4], [3]]),
        new("squeeze", x => x[0].Squeeze().Exp(), [[3, 1, 4]]),
        new("squeeze dim", x => x[0].Squeeze(1) * 3, [[3, 1, 4]]),
        new("unsqueeze", x => x[0].Unsqueeze(1) * x[1], [[3, 4], [2, 1]]),
        new("expand", x => x[0].Expand([3, 4]) * x[1], [[3, 1], [3, 4]]),
        new("flatten", x => x[0].Flatten(1) * 2, [[2, 3, 4]]),
        new("reshape of transposed (copy)", x => x[0].Transpose().Reshape([-1]).Exp(), [[3, 4]]),
        new("contiguous of transposed", x => x[0].Transpose().Contiguous() * x[1], [[3, 4], [4, 3]]),
        new("narrow", x => x[0].Narrow(1, 1, 2).Exp(), [[3, 4]]),
        new("slice with step", x => x[0].Slice(0, 1, null, 2) * 3, [[5, 2]]),
        new("select", x => x[0].Select(1, -1).Exp(), [[3, 4]]),
        new("indexer", x => x[0][1, 2] * x[0][0, 0], [[3, 4]]),
        new("ops on a non-contiguous view", x => x[0].Transpose() + x[1].Slice(1, 0, null, 2), [[4, 3], [3, 8]]),
        // indexing
        new("index select", x => x[0].IndexSelect(0, L([2, 0, 2])), [[3, 4]]),
        new("index select dim 1", x => x[0].IndexSelect(1, L([1, 1, 3])), [[3, 4]]),
        new("gather", x => x[0].Gather(1, Tensor.FromArray(new long[,] { { 0, 2 }, { 3, 3 }, { 1, 0 } })), [[3, 4]]),
        new("scatter", x => x[0].Scatter(1, Tensor.FromArray(new long[,] { { 0, 2 }, { 3, 1 }, { 1, 0 } }), x[1]), [[3, 4], [3, 2]]),
        new("scatter add", x => x[0].ScatterAdd(0, Tensor.FromArray(new long[,] { { 0, 2 }, { 0, 0 } }), x[1]), [[3, 2], [2, 2]]),
        new("scatter add from larger source", x => x[0].ScatterAdd(0, Tensor.FromArray(new long[,] { { 1 } }), x[1]), [[3, 2], [2, 2]]),
        new("index add", x => x[0].IndexAdd(0, L([0, 2, 0]), x[1]), [[3, 2], [3, 2]]),
        new("cat", x => Tensor.Cat([x[0], x[1]], 1), [[2, 3], [2, 2]]),
        new("stack", x => Tensor.Stack([x[0], x[1]], 1), [[2, 3], [2, 3]]),
        new("split", x => x[0].Split(2, 1)[1] * x[0].Split(2, 1)[2].Sum(), [[2, 5]]),
        new("chunk", x => x[0].Chunk(3, 0)[2].Exp(), [[7, 2]]),
        new("masked select", x => x[0].MaskedSelect(x[0] > 0.1) * 2, [[3, 4]]),
        // composites
        new("mlp", x => Tensor.Linear(Tensor.Linear(x[0], x[1], x[2]).Tanh(), x[3]).LogSoftmax(1), [[4, 3], [5, 3], [5], [2, 5]]),
    ];

    public static TheoryData<Case> AllCases() => new(Cases);

    private static Tensor[] Inputs(Case c)
    {
        var g = new Generator(42);
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
    public void SecondOrder(Case c)
    {
        if (c.SecondOrder) Assert.True(GradCheck.CheckSecondOrder(c.F, Inputs(c)));
    }

    [Fact]
    public void NonContiguousLeafInput_IsChecked()
    {
        var storage = Tensor.Randn([4, 3], new Generator(1), DType.Float64);
        var x = storage.Transpose().RequiresGrad_();
        Assert.False(x.IsContiguous);
        Assert.True(GradCheck.Check(v => (v[0] * v[0]).Sum(1), [x]));
    }

    [Fact]
    public void WrongBackwardRule_IsReportedWithInputAndElement()
    {
        // Detach() inside the function hides part of the dependency from autograd: the check must catch it.
        var x = Tensor.Randn([2, 2], new Generator(3), DType.Float64).RequiresGrad_();
        var ex = Assert.Throws<GradCheckException>(() => GradCheck.Check(v => v[0] * v[0].Detach() * v[0], [x]));
        Assert.Contains("input 0", ex.Message);
        Assert.Contains("element", ex.Message);
        Assert.False(GradCheck.Check(v => v[0] * v[0].Detach(), [x], raiseException: false));
    }

    [Fact]
    public void Float32Inputs_AreRejected()
    {
        var x = Tensor.Ones([2], requiresGrad: true);
        var ex = Assert.Throws<ArgumentException>(() => GradCheck.Check(v => v[0] * 2, [x]));
        Assert.Contains("Float64", ex.Message);
    }
}
