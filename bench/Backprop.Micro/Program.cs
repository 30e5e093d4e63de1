// Micro-benchmarks of the kernels tuned for the training loop.
// Run: dotnet run -c Release --project bench/Backprop.Micro -- --filter '*'
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using Backprop;
using Backprop.Kernels;
using Backprop.Kernels.Gemm;
using Backprop.NN;
using Backprop.Optim;

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
    }

    [Benchmark]
    public void Sgemm()
    {
        GemmKernel.ForcedPath = Enum.Parse<GemmPath>(Path); // per thread: set where the product runs
        GemmKernel.Multiply(a, 0, b, 0, c, 0, N, N, N);
    }
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

/// <summary>
/// One training step of the benchmark's MLP (784-256-128-10, batch 64, Adam): plain, and inside a TensorScope with
/// gradients zeroed in place, where every tensor buffer comes from the pool (compare the Allocated column).
/// </summary>
[MemoryDiagnoser]
public class TrainingStepBenchmarks
{
    private readonly Sequential model = new(new Linear(784, 256, generator: new Generator(1)), new Relu(),
        new Linear(256, 128, generator: new Generator(2)), new Relu(), new Linear(128, 10, generator: new Generator(3)));
    private readonly CrossEntropyLoss lossFn = new();
    private readonly Tensor x = Tensor.Rand([64, 784], new Generator(4));
    private readonly Tensor y = Tensor.FromArray(Enumerable.Range(0, 64).Select(i => (long)(i % 10)).ToArray());
    private Adam opt = null!;

    [GlobalSetup] public void Setup() => opt = new Adam(model.Parameters(), lr: 1e-3);

    [Benchmark(Baseline = true)]
    public void Plain()
    {
        opt.ZeroGrad();
        lossFn.Forward(model.Forward(x), y).Backward();
        opt.Step();
    }

    [Benchmark]
    public void InTensorScope()
    {
        using var scope = new TensorScope();
        opt.ZeroGrad(setToNone: false);
        lossFn.Forward(model.Forward(x), y).Backward();
        opt.Step();
    }
}
