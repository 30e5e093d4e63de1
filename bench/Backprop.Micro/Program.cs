// Micro-benchmarks of the kernels tuned for the training loop.
// Run: dotnet run -c Release --project bench/Backprop.Micro -- --filter '*'
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using Backprop;
using Backprop.Kernels;
using Backprop.Kernels.Gemm;

BenchmarkSwitcher.FromAssembly(typeof(GemmBenchmarks).Assembly).Run(args);

/// <summary>The packed GEMM on each SIMD path at the sizes of the benchmark and the MLP's layers.</summary>
[MemoryDiagnoser]
public class GemmBenchmarks
{
    private float[] a = [], b = [], c = [];

    [Params(128, 512)] public int N;
    [Params("Vector256", "Scalar")] public string Path = "Vector256";

    [GlobalSetup]
    public void Setup()
    {
        var g = new Generator(0);
        a = Tensor.Randn([N, N], g).ToArray<float>();
        b = Tensor.Randn([N, N], g).ToArray<float>();
        c = new float[N * N];
        GemmKernel.ForcedPath = Enum.Parse<GemmPath>(Path);
    }

    [Benchmark] public void Sgemm() => GemmKernel.Multiply(a, 0, b, 0, c, 0, N, N, N);
}

/// <summary>Per-parameter optimizer update and activation backward, fused versus composed from tensor ops.</summary>
[MemoryDiagnoser]
public class FusedBenchmarks
{
    private readonly float[] p = new float[200_704], g = new float[200_704], m = new float[200_704], v = new float[200_704];
    private readonly Tensor y = Tensor.Randn([256, 256]), grad = Tensor.Randn([256, 256]);
    private readonly float[] yArr = new float[65_536], gArr = new float[65_536], dArr = new float[65_536];

    [Benchmark] public void AdamFused() => FusedKernels.Adam<float>(p, g, m, v, v, 0.9, 0.999, 1e-3, 0.99, 1e-8, false);

    [Benchmark] public void ReluGradFused() => FusedKernels.ReluGrad<float>(gArr, yArr, dArr);

    [Benchmark] public Tensor ReluGradComposed() => grad * (y > 0);
}
