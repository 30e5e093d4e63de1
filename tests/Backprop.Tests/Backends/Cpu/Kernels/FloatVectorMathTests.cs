using System.Runtime.Intrinsics;
using Backprop.Kernels;

namespace Backprop.Tests.Kernels;

/// <summary>
/// The inlined vector eˣ of the GELU and attention kernels against double-precision <see cref="Math.Exp"/>: within two
/// units in the last place of a float over the range that matters (e⁻⁸⁶·⁵ to FLT_MAX), 0 below it, ∞ above, NaN kept.
/// </summary>
public class FloatVectorMathTests
{
    public static TheoryData<int> Widths() => [256, 512];

    [Theory]
    [MemberData(nameof(Widths))]
    public void ExpIsWithinTwoUlpsOfMathExp(int width)
    {
        if (width == 256 ? !Vector256.IsHardwareAccelerated : !Vector512.IsHardwareAccelerated) return; // that width is not on this machine
        var xs = new List<float>();
        for (double x = -86.4; x < 88.7; x += 0.0173) xs.Add((float)x);
        xs.AddRange([0f, -0f, 1e-30f, -1e-30f, 0.34657359f, -0.34657359f, 88.72f, -86.49f]);
        var ys = Exp(width, [.. xs]);
        for (int i = 0; i < xs.Count; i++)
        {
            double expected = Math.Exp(xs[i]);
            double ulp = Math.Abs(MathF.BitIncrement((float)expected) - (float)expected);
            Assert.True(Math.Abs(ys[i] - expected) <= 2 * ulp, $"e^{xs[i]}: got {ys[i]}, expected {expected}");
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void ExpOfExtremesAndNaN(int width)
    {
        if (width == 256 ? !Vector256.IsHardwareAccelerated : !Vector512.IsHardwareAccelerated) return;
        var ys = Exp(width, [float.NegativeInfinity, -1000f, -86.6f, 89f, 1000f, float.PositiveInfinity, float.NaN]);
        Assert.Equal([0f, 0f, 0f, float.PositiveInfinity, float.PositiveInfinity, float.PositiveInfinity], ys[..6]);
        Assert.True(float.IsNaN(ys[6]));
    }

    private static float[] Exp(int width, float[] xs)
    {
        int w = width / 32, n = (xs.Length + w - 1) / w * w;
        var buffer = new float[n];
        xs.CopyTo(buffer, 0);
        for (int i = 0; i < n; i += w)
        {
            if (width == 256) F256.Store(FloatVectorMath.Exp<F256, Vector256<float>>(F256.Load(ref buffer[0], (nuint)i)), ref buffer[0], (nuint)i);
            else F512.Store(FloatVectorMath.Exp<F512, Vector512<float>>(F512.Load(ref buffer[0], (nuint)i)), ref buffer[0], (nuint)i);
        }
        return buffer[..xs.Length];
    }
}
