using Backprop.Data;

namespace Backprop.DeviceCheck;

/// <summary>
/// The training data of the training and speed steps: Fashion-MNIST from <c>FASHION_MNIST_DIR</c>, the Debian folder,
/// or a <c>fashion-mnist</c> folder beside the program (bench/gpu_check.sh publish copies it there); else random
/// images of the same shape (the speed figures stay valid, the accuracy is then meaningless and reported as null).
/// </summary>
internal sealed record FashionData(Tensor TrainX, Tensor TrainY, Tensor TestX, Tensor TestY, bool Real)
{
    public static FashionData Load()
    {
        string[] roots = [Environment.GetEnvironmentVariable("FASHION_MNIST_DIR") ?? "", Datasets.FashionMnistDefaultRoot, Path.Combine(AppContext.BaseDirectory, "fashion-mnist")];
        foreach (var root in roots)
            if (root.Length > 0 && Directory.Exists(root))
            {
                var train = Datasets.FashionMnist(root, train: true);
                var test = Datasets.FashionMnist(root, train: false);
                Console.WriteLine($"  data: Fashion-MNIST from {root}");
                return new(train.Features.Reshape([-1, 784]), train.Labels, test.Features.Reshape([-1, 784]), test.Labels, true);
            }
        Console.WriteLine("  data: Fashion-MNIST not found (set FASHION_MNIST_DIR); random images of its shape instead");
        var g = new Generator(7);
        return new(Tensor.Rand([60000, 784], g), Labels(60000, 1), Tensor.Rand([10000, 784], g), Labels(10000, 2), false);
    }

    private static Tensor Labels(int n, int seed)
    {
        var r = new Random(seed);
        return Tensor.FromArray(Enumerable.Range(0, n).Select(_ => (long)r.Next(10)).ToArray());
    }

    /// <summary>The fraction of <paramref name="logits"/>' rows whose largest entry is at <paramref name="labels"/> (computed on the host).</summary>
    public static double Accuracy(float[] logits, long[] labels)
    {
        int classes = logits.Length / labels.Length, correct = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            int best = 0;
            for (int c = 1; c < classes; c++) if (logits[i * classes + c] > logits[i * classes + best]) best = c;
            if (best == labels[i]) correct++;
        }
        return correct / (double)labels.Length;
    }

    private static Backends.Allocator? target;

    /// <summary>
    /// The device the training and speed steps compare with the CPU: CUDA device 0, or what <c>BACKPROP_CHECK_DEVICE</c>
    /// names (<c>cpu</c> runs the steps' code without a GPU, a smoke test of this program); tests may set an emulated one.
    /// </summary>
    internal static Backends.Allocator Target
    {
        get => target ??= Open(Environment.GetEnvironmentVariable("BACKPROP_CHECK_DEVICE") is { Length: > 0 } d ? Device.Parse(d) : Device.Cuda(0));
        set => target = value;
    }

    private static Backends.Allocator Open(Device device) =>
        device.Kind == DeviceKind.Cuda && !Cuda.IsAvailable ? throw new NotSupportedException(Cuda.UnavailableReason) : Backends.Allocators.For(device, "DeviceCheck");

    /// <summary>Whether the target is a CUDA device (full sizes) rather than the CPU (a smoke test's small ones).</summary>
    public static bool OnCuda => Target.Device.Kind == DeviceKind.Cuda;

    /// <summary>Opens the target, throwing saying why when it is CUDA and CUDA is unusable here.</summary>
    public static void RequireTarget() => _ = Target;

    /// <summary>Waits for the target device's queued work (nothing to wait for on the CPU).</summary>
    public static void Synchronize()
    {
        if (Target is not Backends.Cuda.CudaAllocator cuda) return;
        cuda.Cuda.MakeCurrent();
        cuda.Cuda.Driver.SynchronizeStream(cuda.Cuda.Stream);
    }
}
