using Backprop.NN;

namespace Backprop.Tests.NN;

/// <summary>
/// The fused LSTM and GRU layers (one autograd node per direction) and the fused GELU kernels: finite-difference checks in
/// Float64, second order through the LSTM's composed fallback, and agreement with the composed ops in Float32.
/// </summary>
public class FusedSequenceTests
{
    private static Tensor R(Generator g, params int[] shape) => Tensor.Randn(shape, g, DType.Float64).RequiresGrad_();

    private static Tensor Flat(params Tensor[] parts) => Tensor.Cat(parts.Select(p => p.Reshape([-1])).ToArray());

    [Fact]
    public void FusedBidirectionalLstmWithInitialStates_PassesGradCheck()
    {
        var g = new Generator(11);
        var lstm = new Lstm(3, 2, numLayers: 2, bidirectional: true, generator: g, dtype: DType.Float64);
        Assert.True(lstm.Fused);
        Assert.True(GradCheck.Check(x =>
        {
            var (o, (h, c)) = lstm.Forward(x[0], (x[1], x[2]));
            return Flat(o, h, c);
        }, [R(g, 4, 2, 3), R(g, 4, 2, 2), R(g, 4, 2, 2), .. lstm.Parameters()]));
    }

    [Fact]
    public void Fused_SecondOrderGradientsGoThroughTheComposedFallback()
    {
        var g = new Generator(12);
        var lstm = new Lstm(2, 2, bidirectional: true, generator: g, dtype: DType.Float64);
        Assert.True(GradCheck.CheckSecondOrder(x => Flat(lstm.Forward(x[0], (x[1], x[2])).Output), [R(g, 3, 1, 2), R(g, 2, 1, 2), R(g, 2, 1, 2), .. lstm.Parameters()]));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Fused_EqualsComposedStepsInFloat32(bool batchFirst)
    {
        (Tensor[] Values, Tensor[] Grads) Run(bool fused)
        {
            var g = new Generator(13);
            var lstm = new Lstm(5, 16, numLayers: 2, batchFirst: batchFirst, bidirectional: true, generator: g) { Fused = fused };
            var x = Tensor.Randn([7, 3, 5], g).RequiresGrad_();
            var h0 = Tensor.Randn([4, batchFirst ? 7 : 3, 16], g);
            var c0 = Tensor.Randn([4, batchFirst ? 7 : 3, 16], g);
            var (o, (h, c)) = lstm.Forward(x, (h0, c0));
            var w = Tensor.Randn(o.Shape, g);
            ((o * w).Sum() + h.Sum() * 0.5 + (c * c).Sum()).Backward();
            return ([o, h, c], [x.Grad!, .. lstm.Parameters().Select(p => p.Grad!)]);
        }
        var (fv, fg) = Run(true);
        var (cv, cg) = Run(false);
        for (int i = 0; i < fv.Length; i++) Reference.AssertClose(cv[i].ToArray<double>(), fv[i].ToArray<double>(), 1e-6, 1e-5, $"value {i}");
        for (int i = 0; i < fg.Length; i++) Reference.AssertClose(cg[i].ToArray<double>(), fg[i].ToArray<double>(), 1e-5, 1e-4, $"gradient {i}");
    }

    [Fact]
    public void FusedBidirectionalGruWithInitialState_PassesGradCheckFirstAndSecondOrder()
    {
        var g = new Generator(14);
        var gru = new Gru(3, 2, numLayers: 2, bidirectional: true, generator: g, dtype: DType.Float64);
        Assert.True(gru.Fused);
        Assert.True(GradCheck.Check(x => { var (o, h) = gru.Forward(x[0], x[1]); return Flat(o, h); }, [R(g, 4, 2, 3), R(g, 4, 2, 2), .. gru.Parameters()]));
        var small = new Gru(2, 2, bidirectional: true, generator: g, dtype: DType.Float64);
        Assert.True(GradCheck.CheckSecondOrder(x => small.Forward(x[0], x[1]).Output, [R(g, 3, 1, 2), R(g, 2, 1, 2), .. small.Parameters()]));
    }

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public void FusedGru_EqualsComposedStepsInFloat32(bool batchFirst, bool bias)
    {
        (Tensor[] Values, Tensor[] Grads) Run(bool fused)
        {
            var g = new Generator(15);
            var gru = new Gru(5, 16, numLayers: 2, bias: bias, batchFirst: batchFirst, bidirectional: true, generator: g) { Fused = fused };
            var x = Tensor.Randn([7, 3, 5], g).RequiresGrad_();
            var h0 = Tensor.Randn([4, batchFirst ? 7 : 3, 16], g);
            var (o, h) = gru.Forward(x, h0);
            var w = Tensor.Randn(o.Shape, g);
            ((o * w).Sum() + (h * h).Sum()).Backward();
            return ([o, h], [x.Grad!, .. gru.Parameters().Select(p => p.Grad!)]);
        }
        var (fv, fg) = Run(true);
        var (cv, cg) = Run(false);
        for (int i = 0; i < fv.Length; i++) Reference.AssertClose(cv[i].ToArray<double>(), fv[i].ToArray<double>(), 1e-6, 1e-5, $"value {i}");
        for (int i = 0; i < fg.Length; i++) Reference.AssertClose(cg[i].ToArray<double>(), fg[i].ToArray<double>(), 1e-5, 1e-4, $"gradient {i}");
    }

    [Theory]
    [InlineData("none")]
    [InlineData("tanh")]
    public void Float32Gelu_ForwardAndFusedBackwardMatchFloat64(string approximate)
    {
        var x64 = Tensor.Linspace(-8, 8, 4001, DType.Float64).RequiresGrad_();
        var x32 = x64.Detach().To(DType.Float32).RequiresGrad_();
        var y64 = x64.Gelu(approximate);
        var y32 = x32.Gelu(approximate);
        // ATen's float erf (Abramowitz–Stegun 7.1.26) is within 1.5e-7 of erf: GELU within 0.5·|x|·1.5e-7 plus rounding.
        Reference.AssertClose(y64.ToArray<double>(), y32.ToArray<double>(), 1e-6, 1e-6, "gelu forward");
        y64.Sum().Backward();
        y32.Sum().Backward();
        Reference.AssertClose(x64.Grad!.ToArray<double>(), x32.Grad!.ToArray<double>(), 2e-6, 1e-6, "gelu backward");
    }

    [Fact]
    public void Float64Gelu_FusedBackwardEqualsComposedDerivative()
    {
        var x = Tensor.Linspace(-6, 6, 101, DType.Float64).RequiresGrad_();
        x.Gelu().Sum().Backward(); // first order: the fused kernel
        var composed = global::Backprop.Autograd.Grad(x.Gelu().Sum(), [x], createGraph: true)[0]; // with a graph: the composed derivative
        Reference.AssertClose(composed.ToArray<double>(), x.Grad!.ToArray<double>(), 1e-14, 1e-13, "gelu derivative");
    }
}
