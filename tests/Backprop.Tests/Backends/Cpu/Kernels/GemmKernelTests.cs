using Backprop.Kernels.Gemm;
using Backprop.Kernels;

namespace Backprop.Tests.Kernels;

/// <summary>The packed GEMM against a naive triple loop: every SIMD path, odd sizes, strides, both dtypes.</summary>
[Collection("GemmPath")] // tests here switch the global kernel path
public class GemmKernelTests
{
    public static TheoryData<string, int, int, int> Cases()
    {
        var data = new TheoryData<string, int, int, int>();
        var sizes = new[] { (1, 1, 1), (1, 7, 1), (3, 5, 7), (13, 17, 19), (31, 1, 33), (64, 64, 64), (97, 130, 67), (257, 300, 5), (121, 263, 37), (7, 520, 129), (130, 300, 70) };
        foreach (var path in new[] { "Vector512", "Vector256", "Scalar" })
            foreach (var (m, k, n) in sizes) data.Add(path, m, k, n);
        return data;
    }

    private static double[] Random(int count, Generator g) => Enumerable.Range(0, count).Select(_ => g.NextNormal()).ToArray();

    private static double[] Naive(double[] a, int aRow, int aCol, double[] b, int bRow, int bCol, int m, int k, int n)
    {
        var c = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++) s += a[i * aRow + p * aCol] * b[p * bRow + j * bCol];
                c[i * n + j] = s;
            }
        return c;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesNaiveReference(string path, int m, int k, int n)
    {
        // A path the CPU lacks falls back to the next narrower one, which is then what runs.
        GemmKernel.ForcedPath = Enum.Parse<GemmPath>(path);
        try
        {
            var g = new Generator(m * 1000 + k * 10 + n);
            var a = Random(m * k, g); var b = Random(k * n, g);
            // Plain row-major, Float64, written at an offset into a larger buffer.
            var expected = Naive(a, k, 1, b, n, 1, m, k, n);
            var c = new double[m * n + 3];
            GemmKernel.Multiply(a, 0, b, 0, c, 3, m, k, n);
            for (int i = 0; i < m * n; i++) Assert.Equal(expected[i], c[3 + i], 1e-10);

            // Transposed operands read through strides (A stored as [k, m], B stored as [n, k]), accumulating into C.
            var at = new double[k * m]; var bt = new double[n * k];
            for (int i = 0; i < m; i++) for (int p = 0; p < k; p++) at[p * m + i] = a[i * k + p];
            for (int p = 0; p < k; p++) for (int j = 0; j < n; j++) bt[j * k + p] = b[p * n + j];
            var acc = Enumerable.Repeat(1.0, m * n).ToArray();
            GemmKernel.Multiply(at, 0, 1, m, bt, 0, 1, k, acc, 0, n, m, k, n, accumulate: true);
            for (int i = 0; i < m * n; i++) Assert.Equal(expected[i] + 1, acc[i], 1e-10);

            // Float32.
            var af = a.Select(v => (float)v).ToArray(); var bf = b.Select(v => (float)v).ToArray();
            var cf = new float[m * n];
            GemmKernel.Multiply(af, 0, bf, 0, cf, 0, m, k, n);
            for (int i = 0; i < m * n; i++)
                Assert.True(Math.Abs(expected[i] - cf[i]) <= 1e-4 * (1 + Math.Sqrt(k)), $"element {i}: {cf[i]} vs {expected[i]}");

            // Float32 with each operand transposed (the AVX packing paths: row-major A with transposed B, then transposed A).
            var btf = bt.Select(v => (float)v).ToArray(); var atf = at.Select(v => (float)v).ToArray();
            foreach (var (aa, aRow, aCol, bb, bRow, bCol) in new[] { (af, k, 1, btf, 1, k), (atf, 1, m, bf, n, 1), (atf, 1, m, btf, 1, k) })
            {
                var ct = new float[m * n];
                GemmKernel.Multiply(aa, 0, aRow, aCol, bb, 0, bRow, bCol, ct, 0, n, m, k, n);
                for (int i = 0; i < m * n; i++)
                    Assert.True(Math.Abs(expected[i] - ct[i]) <= 1e-4 * (1 + Math.Sqrt(k)), $"strides A({aRow},{aCol}) B({bRow},{bCol}) element {i}: {ct[i]} vs {expected[i]}");
            }
        }
        finally { GemmKernel.ForcedPath = GemmPath.Auto; }
    }

    [Fact]
    public void TransposedOperands_ThroughMatMul_NeedNoCopy()
    {
        var g = new Generator(5);
        var a = Tensor.Randn([37, 23], g, DType.Float64);
        var b = Tensor.Randn([41, 23], g, DType.Float64);
        var viaTranspose = a.MatMul(b.Transpose()).ToArray();
        var viaCopy = a.MatMul(b.Transpose().Contiguous()).ToArray();
        Assert.Equal(viaCopy, viaTranspose, new Autograd.Tol(1e-12));
        var lin = Tensor.Linear(a, b, Tensor.Ones([41], DType.Float64)).ToArray();
        Assert.Equal(viaCopy.Select(v => v + 1), lin, new Autograd.Tol(1e-12));
    }

    [Fact]
    public void ThreadCount_DoesNotChangeResults()
    {
        var g = new Generator(9);
        var a = Tensor.Randn([300, 200], g);
        var b = Tensor.Randn([200, 150], g);
        bool wakeAware = WorkerPool.WakeAware;
        float[] parallel;
        try
        {
            WorkerPool.WakeAware = false; // split by size even when the workers are parked
            parallel = a.MatMul(b).ToArray<float>();
        }
        finally { WorkerPool.WakeAware = wakeAware; }
        int before = Threading.NumThreads;
        try
        {
            Threading.SetNumThreads(1);
            Assert.Equal(parallel, a.MatMul(b).ToArray<float>());
        }
        finally { Threading.SetNumThreads(before); }
        Assert.Throws<ArgumentException>(() => Threading.SetNumThreads(0));
    }
}
