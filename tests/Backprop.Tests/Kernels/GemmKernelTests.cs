using Backprop.Kernels;

namespace Backprop.Tests.Kernels;

public class GemmKernelTests
{
    public static TheoryData<int, int, int> Sizes() => new()
    {
        { 1, 1, 1 }, { 1, 7, 1 }, { 3, 5, 7 }, { 13, 17, 19 }, { 31, 1, 33 }, { 64, 64, 64 }, { 97, 130, 67 }, { 257, 300, 5 },
    };

    [Theory]
    [MemberData(nameof(Sizes))]
    public void MatchesNaiveReference_Float32AndFloat64(int m, int k, int n)
    {
        var g = new Generator(m * 1000 + k * 10 + n);
        var a = new double[m * k]; var b = new double[k * n];
        for (int i = 0; i < a.Length; i++) a[i] = g.NextNormal();
        for (int i = 0; i < b.Length; i++) b[i] = g.NextNormal();
        var expected = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
                expected[i * n + j] = s;
            }
        var c = new double[m * n + 3];
        GemmKernel.Multiply(a, 0, b, 0, c, 3, m, k, n);
        for (int i = 0; i < m * n; i++) Assert.Equal(expected[i], c[3 + i], 1e-10);

        var af = a.Select(v => (float)v).ToArray(); var bf = b.Select(v => (float)v).ToArray();
        var cf = new float[m * n];
        GemmKernel.Multiply(af, 0, bf, 0, cf, 0, m, k, n);
        for (int i = 0; i < m * n; i++) Assert.True(Math.Abs(expected[i] - cf[i]) <= 1e-4 * (1 + Math.Sqrt(k)), $"element {i}: {cf[i]} vs {expected[i]}");
    }

    [Fact]
    public void TransposedOperands_ThroughMatMul()
    {
        var g = new Generator(5);
        var a = Tensor.Randn([37, 23], g, DType.Float64);
        var b = Tensor.Randn([41, 23], g, DType.Float64);
        var viaTranspose = a.MatMul(b.Transpose()).ToArray();
        var viaCopy = a.MatMul(b.Transpose().Contiguous()).ToArray();
        Assert.Equal(viaCopy, viaTranspose);
    }
}
