using Backprop.NN;

namespace Backprop.Tests.NN;

/// <summary>The fused LayerNorm node: finite differences in Float64 (first and second order) and the composed formula in Float32.</summary>
public class FusedLayerNormTests
{
    private static Tensor R(Generator g, params int[] shape) => Tensor.Randn(shape, g, DType.Float64).RequiresGrad_();

    [Fact]
    public void LayerNorm_WithAndWithoutAffine_PassesGradCheck()
    {
        var g = new Generator(21);
        Assert.True(GradCheck.Check(x => Functional.LayerNorm(x[0], [3, 4], x[1], x[2]), [R(g, 2, 3, 4), R(g, 3, 4), R(g, 3, 4)]));
        Assert.True(GradCheck.Check(x => Functional.LayerNorm(x[0], [5]), [R(g, 3, 5)]));
        Assert.True(GradCheck.Check(x => Functional.LayerNorm(x[0], [5], x[1]), [R(g, 2, 5), R(g, 5)]));
    }

    [Fact]
    public void LayerNorm_SecondOrderGradientsGoThroughTheComposedFallback()
    {
        var g = new Generator(22);
        Assert.True(GradCheck.CheckSecondOrder(x => Functional.LayerNorm(x[0], [4], x[1], x[2]), [R(g, 3, 4), R(g, 4), R(g, 4)]));
    }

    [Fact]
    public void LayerNorm_Float32_MatchesTheComposedFormula()
    {
        var g = new Generator(23);
        var x = (Tensor.Randn([6, 7, 33], g) * 3 + 1).RequiresGrad_();
        var w = Tensor.Randn([33], g).RequiresGrad_();
        var b = Tensor.Randn([33], g).RequiresGrad_();
        var up = Tensor.Randn([6, 7, 33], g);
        (Functional.LayerNorm(x, [33], w, b) * up).Sum().Backward();
        var fused = new[] { x.Grad!, w.Grad!, b.Grad! };
        var x2 = x.Detach().RequiresGrad_(); var w2 = w.Detach().RequiresGrad_(); var b2 = b.Detach().RequiresGrad_();
        var mean = x2.Mean([-1], keepDim: true);
        var centered = x2 - mean;
        var y = centered * ((centered * centered).Mean([-1], keepDim: true) + 1e-5).Rsqrt() * w2 + b2;
        Reference.AssertClose(y.ToArray<double>(), Functional.LayerNorm(x, [33], w, b).ToArray<double>(), 1e-5, 1e-5, "output");
        (y * up).Sum().Backward();
        var composed = new[] { x2.Grad!, w2.Grad!, b2.Grad! };
        for (int i = 0; i < 3; i++) Reference.AssertClose(composed[i].ToArray<double>(), fused[i].ToArray<double>(), 1e-4, 1e-4, $"gradient {i}");
    }
}
