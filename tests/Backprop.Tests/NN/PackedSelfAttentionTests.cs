using Backprop.NN;

namespace Backprop.Tests.NN;

/// <summary>
/// MultiheadAttention's self-attention route (query, key and value the same tensor: one [.., 3E] projection whose heads
/// the fused primitive reads and writes through strides): GradCheck in Float64, first and second order, in both
/// layouts and unbatched, with masks and causal; and the same numbers as the separate-projection route, which a key
/// that is a different tensor object with the same values takes.
/// </summary>
public class PackedSelfAttentionTests
{
    private static Tensor R(Generator g, params int[] shape) => Tensor.Randn(shape, g, DType.Float64).RequiresGrad_();

    private static MultiheadAttention Mha(bool batchFirst, Generator g)
    {
        var mha = new MultiheadAttention(6, 3, batchFirst: batchFirst, generator: g, dtype: DType.Float64);
        using (global::Backprop.Autograd.NoGrad()) foreach (var p in mha.Parameters()) p.Copy_(Tensor.Randn(p.Shape, g, DType.Float64) * 0.5);
        return mha;
    }

    [Theory]
    [InlineData(true, false, false)]
    [InlineData(false, true, false)]
    [InlineData(true, true, true)]
    public void GradCheckFirstAndSecondOrder(bool batchFirst, bool causal, bool padding)
    {
        var g = new Generator(11);
        var mha = Mha(batchFirst, g);
        var pad = padding ? Tensor.FromArray(new long[] { 0, 0, 0, 1, 0, 0, 0, 0 }, [2, 4]) : null;
        Tensor[] inputs = [R(g, batchFirst ? [2, 4, 6] : [4, 2, 6]), .. mha.Parameters()];
        Tensor F(Tensor[] x) => mha.Forward(x[0], x[0], x[0], pad, needWeights: false, isCausal: causal).Output;
        Assert.True(GradCheck.Check(F, inputs));
        Assert.True(GradCheck.CheckSecondOrder(F, inputs));
    }

    [Fact]
    public void UnbatchedGradCheck()
    {
        var g = new Generator(12);
        var mha = Mha(false, g);
        Tensor[] inputs = [R(g, 5, 6), .. mha.Parameters()];
        Assert.True(GradCheck.Check(x => mha.Forward(x[0], x[0], x[0], needWeights: false, isCausal: true).Output, inputs));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void EqualsTheSeparateProjectionsRoute(bool batchFirst)
    {
        var g = new Generator(13);
        var mha = Mha(batchFirst, g);
        var x = R(g, batchFirst ? [3, 5, 6] : [5, 3, 6]);
        var mask = Tensor.Randn([5, 5], g, DType.Float64); // a float attnMask, added to the scores
        var packed = mha.Forward(x, x, x, needWeights: false, attnMask: mask).Output;
        var gradsPacked = global::Backprop.Autograd.Grad((packed * packed).Sum(), [x, mha.InProjWeight, mha.InProjBias!]);
        var y = x * 1.0; // the same values in another tensor: query, key and value projected separately
        var separate = mha.Forward(x, y, y, needWeights: false, attnMask: mask).Output;
        var gradsSeparate = global::Backprop.Autograd.Grad((separate * separate).Sum(), [x, mha.InProjWeight, mha.InProjBias!]);
        Reference.AssertClose(separate.ToArray<double>(), packed.ToArray<double>(), 1e-12, 0, "output");
        for (int i = 0; i < 3; i++) Reference.AssertClose(gradsSeparate[i]!.ToArray<double>(), gradsPacked[i]!.ToArray<double>(), 1e-12, 1e-12, $"gradient {i}");
    }
}
