namespace Backprop.Tests.Backends.Cpu;

/// <summary>Large unary maps and activation gradients split across threads in contiguous ranges: every element as on one thread.</summary>
[Collection("GemmPath")] // changes the process-wide thread setting
public class LargeElementwiseSplitTests
{
    [Fact]
    public void ReluAndItsGradient_OnAMillionElements_MatchTheDefinition_AtAnyThreadCount()
    {
        var g = new Generator(11);
        var x = Tensor.Randn([1 << 20], g).RequiresGrad_(); // above the split size: 2 × 2^18 elements
        var upstream = Tensor.Randn([1 << 20], g);
        float[] xs = x.ToArray<float>(), gs = upstream.ToArray<float>();
        int before = Threading.NumThreads;
        bool dynamicBefore = Threading.Dynamic;
        try
        {
            Threading.Dynamic = false;
            foreach (int threads in new[] { 1, 2, 3 })
            {
                Threading.SetNumThreads(threads);
                x.Grad = null;
                var y = x.Relu();
                var exp = y.Exp(); // another large map through the same path
                y.Backward(upstream);
                float[] ys = y.ToArray<float>(), es = exp.ToArray<float>(), dx = x.Grad!.ToArray<float>();
                for (int i = 0; i < xs.Length; i++)
                {
                    Assert.Equal(Math.Max(xs[i], 0f), ys[i]);
                    Assert.Equal(MathF.Exp(ys[i]), es[i], 1e-6f * Math.Max(1f, es[i]));
                    Assert.Equal(xs[i] > 0 ? gs[i] : 0f, dx[i]);
                }
            }
        }
        finally
        {
            Threading.SetNumThreads(before);
            Threading.Dynamic = dynamicBefore;
        }
    }
}
