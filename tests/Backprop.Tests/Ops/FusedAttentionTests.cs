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
    public void ScaledDotProductAttentionTakesTheFusedPathOnlyWithoutDropoutAndMaskGradient()
    {
        var g = new Generator(3);
        var (q, k, v) = (R(g, [2, 3, 4]), R(g, [2, 5, 4]), R(g, [2, 5, 4]));
        Assert.Equal("ScaledDotProductAttentionBackward", Functional.ScaledDotProductAttention(q, k, v, isCausal: true).GradFn!.Name);
        Assert.NotEqual("ScaledDotProductAttentionBackward", Functional.ScaledDotProductAttention(q, k, v, dropoutP: 0.5, generator: g).GradFn!.Name);
        var maskWithGrad = R(g, [3, 5]);
        var composed = Functional.ScaledDotProductAttention(q, k, v, maskWithGrad);
        Assert.NotEqual("ScaledDotProductAttentionBackward", composed.GradFn!.Name);
        composed.Sum().Backward();
        Assert.NotNull(maskWithGrad.Grad); // the composed form gives the mask its gradient
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
