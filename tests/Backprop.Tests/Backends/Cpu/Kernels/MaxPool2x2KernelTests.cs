using Backprop.Backends;
using Backprop.Kernels;
using Backprop.NN;

namespace Backprop.Tests.Kernels;

/// <summary>
/// The index-free 2×2 max-pool (forward, and the backward that recomputes each window's winner) against a plain scan
/// written from PyTorch's rule — a later element wins when greater or NaN — on data full of ties and NaNs, for the
/// vector rows (AVX2 for 8+ windows, SSE for 4–7, each with an overlapping last block) and the scalar loop; run with
/// DOTNET_EnableAVX2=0 to check the SSE rows on every width. With the fused ReLU the reference is the same scan over
/// ReLU(x), whose backward passes no gradient where ReLU's output is not positive.
/// </summary>
public class MaxPool2x2KernelTests
{
    public static TheoryData<bool, int, int, bool> Cases()
    {
        var data = new TheoryData<bool, int, int, bool>();
        foreach (var relu in new[] { false, true })
            foreach (var vectorized in new[] { true, false })
                foreach (var (h, w) in new[] { (2, 2), (3, 8), (4, 14), (5, 16), (28, 28), (7, 30), (6, 46) }) data.Add(vectorized, h, w, relu);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ForwardAndBackward_FollowTheScanRule(bool vectorized, int h, int w, bool relu)
    {
        var g = new Generator(h * 100 + w);
        int planes = 3, oh = h / 2, ow = w / 2;
        var x = new float[planes * h * w];
        for (int i = 0; i < x.Length; i++)
        {
            double u = g.NextDouble();
            x[i] = u < 0.03 ? float.NaN : u < 0.06 ? -0f : u < 0.09 ? 0f : (float)Math.Floor(g.NextDouble() * 4) - (relu ? 2 : 0); // many ties
        }
        var grad = Enumerable.Range(0, planes * oh * ow).Select(i => (float)(i + 1)).ToArray();
        // The fused ReLU's reference: the plain scan over ReLU(x) (NaN stays; −0 and negatives become +0).
        var (yRef, dxRef) = Scan(relu ? x.Select(v => v > 0 || float.IsNaN(v) ? v : 0f).ToArray() : x, grad, planes, h, w);
        if (relu) // ReLU's backward: nothing passes where its output is not positive
            for (int i = 0; i < x.Length; i++) dxRef[i] = x[i] > 0 ? dxRef[i] : 0f;

        var geometry = new WindowGeometry(1, h, w, 2, 2, 2, 2, 0, 0, 1, 1, oh, ow);
        Assert.True(MaxPool2x2Kernels.Fits(geometry));
        var y = new float[yRef.Length];
        var dx = Enumerable.Repeat(float.NaN, x.Length).ToArray(); // the backward must write every element
        bool before = MaxPool2x2Kernels.Vectorized;
        try
        {
            MaxPool2x2Kernels.Vectorized = vectorized && before;
            MaxPool2x2Kernels.Forward<float>(x, geometry, y, 0, planes, relu);
            MaxPool2x2Kernels.Backward<float>(x, y, grad, geometry, dx, 0, planes, relu);
        }
        finally { MaxPool2x2Kernels.Vectorized = before; }
        Assert.Equal(yRef.Select(BitConverter.SingleToInt32Bits), y.Select(BitConverter.SingleToInt32Bits)); // −0 and +0 told apart
        Assert.Equal(dxRef, dx);
    }

    private static (float[] Y, float[] Dx) Scan(float[] x, float[] grad, int planes, int h, int w)
    {
        int oh = h / 2, ow = w / 2;
        var y = new float[planes * oh * ow];
        var dx = new float[x.Length];
        for (int p = 0; p < planes; p++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                {
                    int best = -1;
                    foreach (var (dy, dxx) in new[] { (0, 0), (0, 1), (1, 0), (1, 1) })
                    {
                        int at = p * h * w + (2 * oy + dy) * w + 2 * ox + dxx;
                        if (best < 0 || x[at] > x[best] || float.IsNaN(x[at])) best = at;
                    }
                    int o = (p * oh + oy) * ow + ox;
                    y[o] = x[best];
                    dx[best] += grad[o];
                }
        return (y, dx);
    }

    [Fact]
    public void Op_MatchesTheScanAndTheGeneralPath_AndSurvivesAnInPlaceChangeOfTheOutput()
    {
        var g = new Generator(3);
        var xs = Enumerable.Range(0, 2 * 3 * 6 * 8).Select(_ => (float)Math.Floor(g.NextDouble() * 3)).ToArray(); // ties
        var weights = Enumerable.Range(0, 2 * 3 * 3 * 4).Select(i => (float)(i % 7 - 3)).ToArray();
        var (_, expected) = Scan(xs, weights, 6, 6, 8);
        var w = Tensor.FromArray(weights, [2, 3, 3, 4]);

        // The index-free path, with its saved output doubled in place through a detached alias (as PyTorch allows): the
        // backward notices the new version and recomputes the maxima from the input.
        var x = Tensor.FromArray(xs, [2, 3, 6, 8]).RequiresGrad_();
        var y = Functional.MaxPool2d(x, 2);
        y.Detach().Mul_(2.0);
        (y * w).Sum().Backward();
        Assert.Equal(expected, x.Grad!.ToArray<float>());

        // The general path (indices): width 9 does not fit the 2×2 kernels; its 9th column is in no window.
        var wide = new float[2 * 3 * 6 * 9];
        for (int r = 0; r < 2 * 3 * 6; r++) { Array.Copy(xs, r * 8, wide, r * 9, 8); wide[r * 9 + 8] = 100; }
        var xWide = Tensor.FromArray(wide, [2, 3, 6, 9]).RequiresGrad_();
        (Functional.MaxPool2d(xWide, 2) * w).Sum().Backward();
        var gWide = xWide.Grad!.ToArray<float>();
        var general = Enumerable.Range(0, 2 * 3 * 6).SelectMany(r => gWide.Skip(r * 9).Take(8)).ToArray();
        Assert.Equal(expected, general);
    }
}
