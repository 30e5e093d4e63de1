using Backprop.NN;

namespace Backprop.Tests.Ops;

/// <summary>
/// The fused attention primitive (Ops/Attention.cs over AttentionKernels) against the composed MatMul–Softmax–MatMul form
/// (Functional.Attention with a materialised mask) and against finite differences in Float64: no mask, causal (square,
/// more keys than queries, more queries than keys), boolean and float masks broadcast over batch and heads, causal plus
/// a padding mask, Float32, and enough slices to run on several threads.
/// </summary>
public class FusedAttentionTests
{
    public record Case(string Name, int[] Q, int[] K, int[] V, int[]? MaskShape, bool BoolMask, bool Causal)
    {
        public override string ToString() => Name;
    }

    private static readonly Case[] All =
    [
        new("no mask", [2, 2, 4, 3], [2, 2, 6, 3], [2, 2, 6, 5], null, false, false),
        new("causal square", [2, 3, 5, 4], [2, 3, 5, 4], [2, 3, 5, 4], null, false, true),
        new("causal more keys", [1, 2, 3, 4], [1, 2, 6, 4], [1, 2, 6, 2], null, false, true),
        new("causal more queries", [2, 6, 3], [2, 4, 3], [2, 4, 3], null, false, true),
        new("bool mask [L, S]", [2, 3, 4], [2, 5, 4], [2, 5, 4], [3, 5], true, false),
        new("float mask [N, 1, L, S]", [2, 2, 3, 4], [2, 2, 5, 4], [2, 2, 5, 3], [2, 1, 3, 5], false, false),
        new("causal + padding [N, 1, 1, S]", [2, 2, 4, 3], [2, 2, 4, 3], [2, 2, 4, 3], [2, 1, 1, 4], true, true),
        new("unbatched", [4, 3], [6, 3], [6, 2], [4, 6], false, false),
        new("many slices (threads)", [4, 4, 32, 16], [4, 4, 32, 16], [4, 4, 32, 16], [4, 1, 1, 32], true, true),
    ];

    public static TheoryData<Case> Cases => new(All);

    /// <summary>The small cases: finite differences over the big one's 6k inputs would take minutes and test the same code.</summary>
    public static TheoryData<Case> SmallCases => new(All.Where(c => ShapeUtilNumel(c.Q) < 1000));

    private static int ShapeUtilNumel(int[] shape) => shape.Aggregate(1, (a, b) => a * b);

    private static Tensor R(Generator g, int[] shape, DType dtype = DType.Float64) => Tensor.Randn(shape, g, dtype).RequiresGrad_();

    private static Tensor? Mask(Generator g, Case c, DType dtype)
    {
        if (c.MaskShape is null) return null;
        if (!c.BoolMask) return Tensor.Randn(c.MaskShape, g, dtype);
        var allowed = (Tensor.Rand(c.MaskShape, g, dtype) > 0.3).To(DType.Int64);
        // every row keeps key 0, so no row is fully masked
        var first = Tensor.Zeros(c.MaskShape, DType.Int64);
        first.Select(-1, 0).Fill_(1);
        var m = (allowed + first) > 0;
        return Tensor.Where(m, Tensor.Scalar(0, dtype), Tensor.Scalar(double.NegativeInfinity, dtype));
    }

    /// <summary>The composed form with the causal mask built, as the reference.</summary>
    private static Tensor Composed(Tensor q, Tensor k, Tensor v, Tensor? mask, bool causal, double scale)
    {
        if (causal)
        {
            var c = Functional.AttentionMask("test", Functional.CausalMask(q.Size(-2), k.Size(-2)), q, k, nonzeroAttends: true);
            mask = mask is null ? c : mask + c;
        }
        return Functional.Attention(q, k, v, mask, 0, scale, null).Output;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesComposedForm(Case c)
    {
        foreach (var dtype in new[] { DType.Float64, DType.Float32 })
        {
            var g = new Generator(7);
            var (q, k, v) = (R(g, c.Q, dtype), R(g, c.K, dtype), R(g, c.V, dtype));
            var mask = Mask(g, c, dtype);
            var up = Tensor.Randn([.. c.Q[..^1], c.V[^1]], g, dtype);
            double scale = 1 / Math.Sqrt(c.Q[^1]);
            Assert.True(Tensor.CanFuseAttention(q, k, v, mask));
            var fused = Tensor.FusedAttention(q, k, v, mask, c.Causal, scale);
            Assert.Equal("ScaledDotProductAttentionBackward", fused.GradFn!.Name);
            var gradsFused = Backprop.Autograd.Grad((fused * up).Sum(), [q, k, v]);
            var composed = Composed(q, k, v, mask, c.Causal, scale);
            var gradsComposed = Backprop.Autograd.Grad((composed * up).Sum(), [q, k, v]);
            double tol = dtype == DType.Float64 ? 1e-12 : 2e-5;
            Assert.Equal(composed.Shape.ToArray(), fused.Shape.ToArray());
            Reference.AssertClose(composed.To(DType.Float64).ToArray<double>(), fused.To(DType.Float64).ToArray<double>(), tol, tol, $"{c.Name} {dtype} output");
            for (int i = 0; i < 3; i++)
                Reference.AssertClose(gradsComposed[i].To(DType.Float64).ToArray<double>(), gradsFused[i].To(DType.Float64).ToArray<double>(), tol, tol,
                    $"{c.Name} {dtype} grad {"qkv"[i]}");
        }
    }

    [Theory]
    [MemberData(nameof(SmallCases))]
    public void GradCheckFloat64(Case c)
    {
        var g = new Generator(11);
        var inputs = new[] { R(g, c.Q), R(g, c.K), R(g, c.V) };
        var mask = Mask(g, c, DType.Float64);
        double scale = 0.8;
        Assert.True(GradCheck.Check(x => Tensor.FusedAttention(x[0], x[1], x[2], mask, c.Causal, scale), inputs));
        // second order: the backward of the fused node is the composed formula while a graph is recorded
        Assert.True(GradCheck.CheckSecondOrder(x => Tensor.FusedAttention(x[0], x[1], x[2], mask, c.Causal, scale), inputs));
    }

    [Fact]
    public void ScaledDotProductAttentionTakesTheComposedPathForAMaskThatNeedsAGradient()
    {
        var g = new Generator(3);
        var (q, k, v) = (R(g, [2, 3, 4]), R(g, [2, 5, 4]), R(g, [2, 5, 4]));
        Assert.Equal("ScaledDotProductAttentionBackward", Functional.ScaledDotProductAttention(q, k, v, isCausal: true).GradFn!.Name);
        Assert.Equal("ScaledDotProductAttentionBackward", Functional.ScaledDotProductAttention(q, k, v, dropoutP: 0.5, generator: g).GradFn!.Name);
        var broadcastKey = R(g, [1, 5, 4]); // batch dimensions that differ: composed (MatMul broadcasts)
        Assert.NotEqual("ScaledDotProductAttentionBackward", Functional.ScaledDotProductAttention(q, broadcastKey, v).GradFn!.Name);
        var maskWithGrad = R(g, [3, 5]);
        var composed = Functional.ScaledDotProductAttention(q, k, v, maskWithGrad);
        Assert.NotEqual("ScaledDotProductAttentionBackward", composed.GradFn!.Name);
        composed.Sum().Backward();
        Assert.NotNull(maskWithGrad.Grad); // the composed form gives the mask its gradient
    }

    /// <summary>The keep (1) / drop (0) decisions of the fused kernel for a seed, as a [B·…, L, S] Int64 tensor.</summary>
    private static Tensor KeepMask(int[] shape, ulong seed, double p)
    {
        int l = shape[^2], s = shape[^1], b = shape[..^2].Aggregate(1, (x, y) => x * y);
        var dims = new Backprop.Backends.AttentionDims(b, l, s, 1, 1, 1, false, p, seed);
        var keep = new long[b * l * s];
        for (int n = 0; n < b; n++)
            for (int i = 0; i < l; i++)
                for (int j = 0; j < s; j++) keep[(n * l + i) * s + j] = Backprop.Kernels.AttentionKernels.Keep(dims, n, i, j) ? 1 : 0;
        return Tensor.FromArray(keep, shape);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void DropoutMatchesTheComposedFormWithTheSameKeepMask(bool causal)
    {
        const double p = 0.3;
        var g = new Generator(13);
        var (q, k, v) = (R(g, [2, 2, 5, 3]), R(g, [2, 2, 5, 3]), R(g, [2, 2, 5, 4]));
        var padding = Tensor.FromArray(new double[] { 0, 0, 0, 0, double.NegativeInfinity, 0, 0, 0, 0, 0 }, [2, 1, 1, 5]);
        var up = Tensor.Randn([2, 2, 5, 4], g, DType.Float64);
        var fused = Tensor.FusedAttention(q, k, v, padding, causal, 0.6, p, new Generator(99));
        var gradsFused = Backprop.Autograd.Grad((fused * up).Sum(), [q, k, v]);
        var keep = KeepMask([2, 2, 5, 5], new Generator(99).NextUInt64(), p);
        var scores = q.MatMul(k.Transpose(-2, -1)) * 0.6 + padding;
        if (causal) scores = scores.MaskedFill(Tensor.Ones([5, 5], DType.Int64).Triu(1), double.NegativeInfinity);
        var composed = (scores.Softmax(-1) * keep.To(DType.Float64) * (1 / (1 - p))).MatMul(v);
        var gradsComposed = Backprop.Autograd.Grad((composed * up).Sum(), [q, k, v]);
        Reference.AssertClose(composed.ToArray<double>(), fused.ToArray<double>(), 1e-12, 1e-12, "output");
        for (int i = 0; i < 3; i++)
            Reference.AssertClose(gradsComposed[i].ToArray<double>(), gradsFused[i].ToArray<double>(), 1e-12, 1e-12, $"grad {"qkv"[i]}");
    }

    [Fact]
    public void DropoutGradCheckAndItsRate()
    {
        var g = new Generator(17);
        Tensor[] inputs = [R(g, [2, 4, 3]), R(g, [2, 6, 3]), R(g, [2, 6, 2])];
        // a fresh generator per call: the same seed, so the same keep mask, as finite differences need
        Assert.True(GradCheck.Check(x => Tensor.FusedAttention(x[0], x[1], x[2], null, false, 0.5, 0.25, new Generator(3)), inputs));
        double kept = KeepMask([64, 64, 64], 12345, 0.25).To(DType.Float64).Mean().Item<double>();
        Assert.InRange(kept, 0.74, 0.76);
        var withDropout = Tensor.FusedAttention(inputs[0], inputs[1], inputs[2], null, false, 0.5, 0.25, new Generator(3));
        var e = Assert.Throws<NotSupportedException>(() => Backprop.Autograd.Grad(withDropout.Sum(), [inputs[0]], createGraph: true));
        Assert.Contains("dropout", e.Message);
    }

    [Fact]
    public void FullyMaskedRowGivesNaNLikePyTorch()
    {
        var g = new Generator(5);
        var (q, k, v) = (R(g, [1, 2, 3]), R(g, [1, 2, 3]), R(g, [1, 2, 3]));
        var mask = Tensor.FromArray(new long[] { 1, 1, 0, 0 }, [2, 2]); // query 1 attends to no key
        var output = Functional.ScaledDotProductAttention(q, k, v, mask).ToArray<double>();
        Assert.All(output[..3], x => Assert.True(double.IsFinite(x)));
        Assert.All(output[3..], x => Assert.True(double.IsNaN(x)));
    }
}
