using Backprop.NN;

namespace Backprop.DeviceCheck;

/// <summary>
/// Issue #12's op parity through the public API: each op's forward and its backward (the gradient of a fixed random
/// weighting of the output) on the target device against the CPU, in Float32 and Float64. Elementwise ops must agree to
/// 1e-5 / 1e-12 relative to max(|x|, 1) (the same arithmetic); ops that sum in another order on the device (GEMMs,
/// convolutions, whole-tensor sums, norms) to 1e-4 / 1e-10.
/// </summary>
internal static class OpParity
{
    private sealed record Case(string Name, Func<Tensor[], Tensor> Op, int[][] Shapes, bool Reordered = false, bool Positive = false);

    private static readonly Case[] Cases =
    [
        new("exp", x => x[0].Exp(), [[37, 29]]),
        new("log", x => x[0].Log(), [[37, 29]], Positive: true),
        new("sqrt", x => x[0].Sqrt(), [[37, 29]], Positive: true),
        new("tanh", x => x[0].Tanh(), [[37, 29]]),
        new("sigmoid", x => x[0].Sigmoid(), [[37, 29]]),
        new("relu", x => x[0].Relu(), [[37, 29]]),
        new("gelu", x => x[0].Gelu(), [[37, 29]]),
        new("gelu_tanh", x => x[0].Gelu("tanh"), [[37, 29]]),
        new("add_broadcast", x => x[0] + x[1], [[5, 7, 3], [7, 1]]),
        new("mul_div", x => x[0] * x[1] / (x[1] * x[1] + 1), [[9, 11], [11]]),
        new("pow_scalar", x => (x[0] * x[0] + 1).Pow(1.5), [[9, 11]]),
        new("max_min", x => Tensor.Maximum(x[0], x[1]) - Tensor.Minimum(x[0], x[1]), [[9, 11], [9, 11]]),
        new("where", x => Tensor.Where(x[0].Gt(x[1]), x[0], x[1] * 2), [[9, 11], [9, 11]]),
        new("softmax", x => x[0].Softmax(1), [[13, 17]]),
        new("log_softmax", x => x[0].LogSoftmax(0), [[13, 17]]),
        new("sum_dim", x => x[0].Sum(1), [[6, 40, 3]]),
        new("mean_all", x => x[0].Mean() * x[0], [[33, 21]], Reordered: true),
        new("max_dim", x => x[0].Max(1), [[13, 17]]),
        new("cumsum", x => x[0].CumSum(1), [[7, 19]]),
        new("prod", x => x[0].Prod(1), [[7, 5]]),
        new("sort", x => x[0].Sort(1).Values, [[7, 19]]),
        new("transpose_copy", x => x[0].Transpose(0, 2).Contiguous() * 1, [[4, 5, 6]]),
        new("matmul", x => x[0].MatMul(x[1]), [[17, 33], [33, 9]], Reordered: true),
        new("matmul_transposed", x => x[0].Transpose().MatMul(x[1].Transpose()), [[33, 17], [9, 33]], Reordered: true),
        new("batched_matmul", x => x[0].MatMul(x[1]), [[3, 7, 11], [3, 11, 5]], Reordered: true),
        new("linear", x => Tensor.Linear(x[0], x[1], x[2]), [[12, 20], [8, 20], [8]], Reordered: true),
        new("conv2d", x => Functional.Conv2d(x[0], x[1], x[2], padding: 1), [[2, 3, 9, 9], [4, 3, 3, 3], [4]], Reordered: true),
        new("conv2d_strided", x => Functional.Conv2d(x[0], x[1], null, stride: 2), [[2, 3, 9, 9], [4, 3, 3, 3]], Reordered: true),
        new("max_pool", x => Functional.MaxPool2d(x[0], 2), [[2, 3, 8, 8]]),
        new("max_pool_3x3", x => Functional.MaxPool2d(x[0], 3, stride: 2, padding: 1), [[2, 3, 9, 9]]),
        new("layer_norm", x => Functional.LayerNorm(x[0], [16], x[1], x[2]), [[6, 16], [16], [16]], Reordered: true),
        new("index_select", x => x[0].IndexSelect(0, Tensor.FromArray(new long[] { 3, 0, 3, 5 }).To(x[0].Storage.Allocator)), [[6, 7]]),
        new("gather", x => x[0].Gather(1, Tensor.FromArray(new long[] { 0, 2, 1, 2, 0, 0 }, [3, 2]).To(x[0].Storage.Allocator)), [[3, 5]]),
        new("cross_entropy", x => Functional.CrossEntropy(x[0], Tensor.FromArray(new long[] { 1, 0, 4, 2, 2, 3 }).To(x[0].Storage.Allocator)), [[6, 5]], Reordered: true),
        new("mse", x => Functional.MseLoss(x[0], x[1]), [[6, 5], [6, 5]], Reordered: true),
    ];

    public static int Run()
    {
        FashionData.RequireTarget();
        var target = FashionData.Target;
        int failures = 0, checks = 0;
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
            foreach (var c in Cases)
            {
                checks++;
                try
                {
                    var inputs = c.Shapes.Select((s, i) => Input(s, dtype, 100 + i, c.Positive)).ToArray();
                    var (cpuY, cpuG) = Run(c.Op, inputs);
                    var (devY, devG) = Run(c.Op, inputs.Select(t => t.To(target)).ToArray());
                    double tol = dtype == DType.Float32 ? (c.Reordered ? 1e-4 : 1e-5) : (c.Reordered ? 1e-10 : 1e-12);
                    double worst = Worst(cpuY, devY);
                    for (int i = 0; i < cpuG.Length; i++) worst = Math.Max(worst, Worst(cpuG[i], devG[i]));
                    bool ok = worst <= tol;
                    if (!ok) failures++;
                    Console.WriteLine($"  {(ok ? "ok  " : "FAIL")} {c.Name} {dtype}: forward and backward, max rel err {worst:G3} (≤ {tol:G2})");
                }
                catch (Exception e) when (e is NotSupportedException or InvalidOperationException or ArgumentException)
                {
                    failures++;
                    Console.WriteLine($"  FAIL {c.Name} {dtype}: {e.GetType().Name}: {e.Message}");
                }
            }
        Console.WriteLine($"ops: {checks - failures}/{checks} passed");
        return failures == 0 ? 0 : 1;
    }

    private static Tensor Input(int[] shape, DType dtype, int seed, bool positive)
    {
        var x = Tensor.Randn(shape, new Generator(seed), dtype);
        return positive ? x.Abs() + 0.1 : x;
    }

    /// <summary>The op's output (as doubles) and the gradients of Σ output·w (w fixed random) with respect to every input.</summary>
    private static (double[] Y, double[][] Grads) Run(Func<Tensor[], Tensor> op, Tensor[] inputs)
    {
        var leaves = inputs.Select(t => t.Detach().RequiresGrad_()).ToArray();
        var y = op(leaves);
        var w = Tensor.Randn(y.Shape, new Generator(7), y.DType).To(y.Storage.Allocator);
        (y * w).Sum().Backward();
        return (y.ToArray<double>(), leaves.Select(l => l.Grad is { } g ? g.ToArray<double>() : []).ToArray());
    }

    private static double Worst(double[] expected, double[] actual)
    {
        if (expected.Length != actual.Length) return double.PositiveInfinity;
        double worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            if (expected[i] == actual[i] || double.IsNaN(expected[i]) && double.IsNaN(actual[i])) continue;
            worst = Math.Max(worst, double.IsNaN(actual[i]) ? double.PositiveInfinity : Math.Abs(expected[i] - actual[i]) / Math.Max(Math.Abs(expected[i]), 1));
        }
        return worst;
    }
}
