using Backprop.Backends;
using Backprop.Kernels;

namespace Backprop.Tests.Kernels;

/// <summary>
/// im2col and col2im against their definitions written out element by element (columns[(c·kh + i)·kw + j, oy·OutW + ox]
/// = image[c, oy·sh − padTop + i·dh, ox·sw − padLeft + j·dw] or the pad value), on the block-copy geometries (stride 1,
/// output as wide as the input) and the general loop, including kernels larger than the image.
/// </summary>
public class ConvKernelTests
{
    public static TheoryData<int, int, int, int, int, int, int, int, int, int> Geometries()
    {
        // channels, height, width, kh, kw, stride, padTop, padLeft, dilationH, dilationW
        var data = new TheoryData<int, int, int, int, int, int, int, int, int, int>
        {
            { 2, 5, 6, 3, 3, 1, 1, 1, 1, 1 },   // "same" 3×3
            { 3, 4, 7, 5, 5, 1, 2, 2, 1, 1 },   // "same" 5×5
            { 1, 6, 5, 3, 3, 1, 0, 2, 1, 2 },   // dilated "same" across, no padding down
            { 2, 3, 3, 3, 7, 1, 1, 3, 1, 1 },   // kernel wider than the image
            { 1, 2, 9, 5, 3, 1, 3, 1, 1, 1 },   // padding taller than the image
            { 2, 4, 4, 1, 1, 1, 0, 0, 1, 1 },   // pointwise
            { 2, 7, 6, 3, 3, 2, 1, 1, 1, 1 },   // stride 2: the general loop
            { 1, 5, 8, 2, 3, 1, 0, 0, 1, 1 },   // valid: the general loop
        };
        return data;
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void Im2ColAndCol2Im_MatchTheirDefinitions(int channels, int h, int w, int kh, int kw, int stride, int padTop, int padLeft, int dh, int dw)
    {
        int padBottom = padTop, padRight = padLeft;
        int outH = (h + padTop + padBottom - dh * (kh - 1) - 1) / stride + 1, outW = (w + padLeft + padRight - dw * (kw - 1) - 1) / stride + 1;
        var g = new WindowGeometry(channels, h, w, kh, kw, stride, stride, padTop, padLeft, dh, dw, outH, outW);
        var random = new Generator(h * 31 + w);
        var image = Enumerable.Range(0, channels * h * w).Select(_ => (float)random.NextNormal()).ToArray();
        int rows = channels * kh * kw, positions = outH * outW;

        var expected = new float[rows * positions];
        var adjoint = new float[image.Length];
        var columnValues = Enumerable.Range(0, expected.Length).Select(_ => (float)random.NextNormal()).ToArray();
        for (int c = 0; c < channels; c++)
            for (int i = 0; i < kh; i++)
                for (int j = 0; j < kw; j++)
                    for (int oy = 0; oy < outH; oy++)
                        for (int ox = 0; ox < outW; ox++)
                        {
                            int r = (c * kh + i) * kw + j, at = r * positions + oy * outW + ox;
                            int y = oy * stride - padTop + i * dh, x = ox * stride - padLeft + j * dw;
                            bool inside = y >= 0 && y < h && x >= 0 && x < w;
                            expected[at] = inside ? image[(c * h + y) * w + x] : -7f;
                            if (inside) adjoint[(c * h + y) * w + x] += columnValues[at];
                        }

        var columns = new float[expected.Length];
        ConvKernels.Im2Col<float>(image, g, columns, -7f);
        Assert.Equal(expected, columns);

        var folded = new float[image.Length];
        ConvKernels.Col2Im<float>(columnValues, g, folded);
        AssertClose(adjoint, folded);
        if (ConvKernels.RowShift(g))
        {
            var scratch = (float[])columnValues.Clone();
            var shifted = new float[image.Length];
            ConvKernels.Col2ImRowShift<float>(scratch, g, shifted);
            AssertClose(adjoint, shifted);
        }
    }

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5f * (1 + Math.Abs(expected[i])), $"element {i}: {expected[i]} vs {actual[i]}");
    }
}
