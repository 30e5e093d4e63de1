using System.Numerics;
using System.Runtime.Intrinsics.X86;
using Backprop.Backends;
using Backprop.Kernels;
using Backprop.Kernels.Gemm;

namespace Backprop.Tests.Kernels;

/// <summary>
/// The implicit-GEMM convolution passes (no column matrix) against the convolution's definition written out as loops
/// in Float64: forward with bias, input gradient, weight and bias gradients; both vector paths, both dtypes, odd sizes, groups,
/// dilation, asymmetric ("same") padding, and the Fashion-MNIST CNN's two layers.
/// </summary>
[Collection("GemmPath")] // forces the kernel path on this thread
public class ImplicitConvKernelTests
{
    // n, cin, h, w, cout, kh, kw, padTop, padLeft, padBottom, padRight, dilation, groups
    public static readonly (int N, int Cin, int H, int W, int Cout, int Kh, int Kw, int Pt, int Pl, int Pb, int Pr, int D, int Groups)[] Geometries =
    [
        (2, 3, 9, 11, 7, 3, 3, 1, 1, 1, 1, 1, 1),
        (1, 32, 14, 14, 64, 3, 3, 1, 1, 1, 1, 1, 1),   // the CNN's second layer
        (2, 1, 28, 28, 32, 3, 3, 1, 1, 1, 1, 1, 1),    // its first
        (2, 4, 7, 10, 6, 3, 2, 2, 1, 2, 2, 2, 2),      // dilation 2, groups 2, unequal padding
        (3, 9, 5, 6, 17, 1, 1, 0, 0, 0, 0, 1, 1),      // pointwise
        (1, 2, 6, 7, 9, 2, 4, 0, 1, 1, 2, 1, 1),       // "same" with even kernels
        (1, 16, 5, 3, 11, 3, 3, 0, 0, 0, 0, 1, 1),     // no padding, output narrower than a tile
    ];

    public static TheoryData<int, string, bool> Cases()
    {
        var data = new TheoryData<int, string, bool>();
        for (int i = 0; i < Geometries.Length; i++)
            foreach (var path in new[] { "Vector512", "Vector256" })
                foreach (bool single in new[] { true, false }) data.Add(i, path, single);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void PassesMatchTheDefinition(int index, string pathName, bool single)
    {
        var c = Geometries[index];
        int outH = c.H + c.Pt + c.Pb - c.D * (c.Kh - 1), outW = c.W + c.Pl + c.Pr - c.D * (c.Kw - 1);
        var g = new WindowGeometry(c.Cin, c.H, c.W, c.Kh, c.Kw, 1, 1, c.Pt, c.Pl, c.D, c.D, outH, outW);
        int cinG = c.Cin / c.Groups, perGroup = c.Cout / c.Groups, rows = cinG * c.Kh * c.Kw, positions = outH * outW;
        var rng = new Generator(index * 7 + 1);
        double[] R(int count) => Enumerable.Range(0, count).Select(_ => rng.NextNormal()).ToArray();
        double[] x = R(c.N * c.Cin * c.H * c.W), w = R(c.Cout * rows), b = R(c.Cout), gy = R(c.N * c.Cout * positions);

        // The definition: y[n, co, oy, ox] = b[co] + Σ w[co, ci, i, j]·x[n, group's ci, oy − pt + i·d, ox − pl + j·d].
        var y = new double[gy.Length]; var dx = new double[x.Length]; var dw = new double[w.Length];
        for (int n = 0; n < c.N; n++)
            for (int co = 0; co < c.Cout; co++)
                for (int oy = 0; oy < outH; oy++)
                    for (int ox = 0; ox < outW; ox++)
                    {
                        int yi = ((n * c.Cout + co) * outH + oy) * outW + ox;
                        double s = b[co];
                        for (int ci = 0; ci < cinG; ci++)
                            for (int i = 0; i < c.Kh; i++)
                                for (int j = 0; j < c.Kw; j++)
                                {
                                    int iy = oy - c.Pt + i * c.D, ix = ox - c.Pl + j * c.D;
                                    if (iy < 0 || iy >= c.H || ix < 0 || ix >= c.W) continue;
                                    int xi = ((n * c.Cin + co / perGroup * cinG + ci) * c.H + iy) * c.W + ix, wi = co * rows + (ci * c.Kh + i) * c.Kw + j;
                                    s += w[wi] * x[xi];
                                    dx[xi] += w[wi] * gy[yi];
                                    dw[wi] += x[xi] * gy[yi];
                                }
                        y[yi] = s;
                    }

        GemmKernel.ForcedPath = Enum.Parse<GemmPath>(pathName);
        try
        {
            var resolved = ImplicitConvPasses.ResolvePath(g);
            Assert.Equal(Fma.IsSupported, resolved is not null);
            if (resolved is not { } path) return;
            Assert.Equal(pathName == "Vector512" && !Avx512F.IsSupported ? GemmPath.Vector256 : Enum.Parse<GemmPath>(pathName), path);
            if (single) Check(path, x.Select(v => (float)v).ToArray(), w.Select(v => (float)v).ToArray(), b.Select(v => (float)v).ToArray(), gy.Select(v => (float)v).ToArray(), 1e-4);
            else Check(path, x, w, b, gy, 1e-11);
        }
        finally { GemmKernel.ForcedPath = GemmPath.Auto; }

        void Check<T>(GemmPath path, T[] xs, T[] ws, T[] bs, T[] gs, double tolerance) where T : unmanaged, INumber<T>
        {
            var packed = new T[ImplicitConvPasses.PackedForwardSize(path, g, c.Groups, c.Cout)];
            ImplicitConvPasses.PackForward(path, ws, g, c.Groups, c.Cout, packed);
            var ys = new T[y.Length];
            ImplicitConvPasses.Forward(path, xs, ws, packed, bs, ys, new T[ImplicitConvPasses.ForwardScratchSize<T>(path, g, c.Groups)], g, c.Groups, c.Cout, 0, c.N);
            AssertClose(y, ys, tolerance * (1 + Math.Sqrt(rows)), "forward");

            var flipped = new T[ImplicitConvPasses.PackedInputGradSize(path, g, c.Groups, c.Cout)];
            ImplicitConvPasses.PackInputGrad(path, ws, g, c.Groups, c.Cout, flipped);
            var dxs = Enumerable.Repeat(T.CreateChecked(double.NaN), dx.Length).ToArray(); // every element must be written
            ImplicitConvPasses.InputGrad(path, gs, flipped, dxs, new T[ImplicitConvPasses.InputGradScratchSize<T>(path, g, c.Groups, c.Cout)], g, c.Groups, c.Cout, 0, c.N);
            AssertClose(dx, dxs, tolerance * (1 + Math.Sqrt(perGroup * c.Kh * c.Kw)), "input gradient");

            // Two image ranges into one accumulator, onto a weight gradient that starts at 1 (the passes add).
            var (padded, packedGrad, accumulator) = ImplicitConvPasses.WeightGradScratchSizes<T>(path, g, c.Groups, c.Cout);
            var (p, k, a) = (new T[padded], new T[packedGrad], new T[accumulator]);
            var dws = Enumerable.Repeat(T.One, dw.Length).ToArray();
            var dbs = Enumerable.Repeat(T.One, c.Cout + 2).ToArray(); // written at offset 2, and the bias gradient too
            ImplicitConvPasses.WeightGrad(path, xs, gs, dws, 0, dbs, 2, p, k, a, g, c.Groups, c.Cout, 0, c.N / 2);
            a.AsSpan().Clear();
            ImplicitConvPasses.WeightGrad(path, xs, gs, dws, 0, dbs, 2, p, k, a, g, c.Groups, c.Cout, c.N / 2, c.N);
            AssertClose(dw.Select(v => v + 1).ToArray(), dws, tolerance * (1 + Math.Sqrt(c.N * positions)), "weight gradient");
            double[] db = [1, 1, .. Enumerable.Range(0, c.Cout).Select(co =>
                1 + Enumerable.Range(0, c.N).Sum(n => Enumerable.Range(0, positions).Sum(l => gy[(n * c.Cout + co) * positions + l])))];
            AssertClose(db, dbs, tolerance * (1 + Math.Sqrt(c.N * positions)), "bias gradient");
        }
    }

    private static void AssertClose<T>(double[] expected, T[] actual, double tolerance, string what) where T : unmanaged, INumber<T>
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double v = double.CreateChecked(actual[i]);
            Assert.True(Math.Abs(expected[i] - v) <= tolerance * (1 + Math.Abs(expected[i])), $"{what}[{i}]: {v} vs {expected[i]}");
        }
    }

    [Fact]
    public void StridedOverPaddedOrHugeGeometriesStayOnIm2Col()
    {
        // Stride 2: not a stride-1 window.
        Assert.Null(ImplicitConvPasses.ResolvePath(new WindowGeometry(2, 8, 8, 3, 3, 2, 2, 1, 1, 1, 1, 4, 4)));
        // Padding 3 around a 3×3 kernel: more than its extent, so the input gradient would need negative padding.
        Assert.Null(ImplicitConvPasses.ResolvePath(new WindowGeometry(2, 8, 8, 3, 3, 1, 1, 3, 3, 1, 1, 12, 12)));
        Assert.Equal(Fma.IsSupported, ImplicitConvPasses.ResolvePath(new WindowGeometry(2, 8, 8, 3, 3, 1, 1, 1, 1, 1, 1, 8, 8)) is not null);
        // A padded copy too large to index with int (input channels, or the output channels the input gradient pads).
        Assert.Null(ImplicitConvPasses.ResolvePath(new WindowGeometry(65536, 200, 200, 3, 3, 1, 1, 1, 1, 1, 1, 200, 200)));
        Assert.Null(ImplicitConvPasses.ResolvePath(new WindowGeometry(2, 200, 200, 3, 3, 1, 1, 1, 1, 1, 1, 200, 200), outChannels: 65536));
    }
}
