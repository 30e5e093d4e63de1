using System.Diagnostics;
using System.Globalization;
using Backprop.Backends.Cuda;
using Backprop.NN;
using Backprop.Optim;

namespace Backprop.DeviceCheck;

/// <summary>
/// Issue #12's speed figures on CUDA device 0, the workloads of ../shared/peers/torch_gpu_bench.py with the same JSON
/// lines: sgemm 4096 FP32 and TF32 through <c>MatMul</c> on device tensors, the tiny step, the Fashion-MNIST MLP at batch
/// 64/256/1024 and the CNN at batch 256 (Adam 1e-3, cross-entropy, shuffled batches picked on the device from data
/// resident there; <c>BACKPROP_CHECK_DEVICE=cpu</c> runs them on the CPU as a smoke test). <c>BACKPROP_SPEED_EPOCHS</c> sets the epochs (default 2, as the peer); a workload stops early after
/// <see cref="Budget"/> and reports the rate of the steps it ran.
/// </summary>
internal static class Speed
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(40);

    public static int Run()
    {
        FashionData.RequireTarget();
        int epochs = int.TryParse(Environment.GetEnvironmentVariable("BACKPROP_SPEED_EPOCHS"), out var e) && e > 0 ? e : 2;
        int failures = 0;
        int size = FashionData.OnCuda ? 4096 : 512;
        failures += Guard("sgemm", () => { Sgemm(size, tf32: false); Sgemm(size, tf32: true); });
        failures += Guard("tiny_step", TinyStep);
        var data = FashionData.Load();
        foreach (var batch in new[] { 64, 256, 1024 }) failures += Guard($"fmnist_mlp_b{batch}", () => Train("mlp", batch, epochs, data));
        failures += Guard("fmnist_cnn_b256", () => Train("cnn", 256, epochs, data));
        return failures == 0 ? 0 : 1;
    }

    private static int Guard(string work, Action run)
    {
        try
        {
            run();
            return 0;
        }
        catch (Exception e) when (e is NotSupportedException or InvalidOperationException or ArgumentException or CudaException)
        {
            Emit($"\"work\": \"{work}\", \"error\": \"{e.GetType().Name}: {e.Message.Replace("\"", "'", StringComparison.Ordinal)}\"");
            return 1;
        }
    }

    private static void Emit(string fields) => Console.WriteLine("{" + fields + "}");

    private static void Sgemm(int n, bool tf32)
    {
        var cuda = FashionData.Target as CudaAllocator;
        if (cuda is null && tf32) return;
        cuda?.Cuda.Blas.SetTf32(tf32);
        try
        {
            var g = new Generator(0);
            var a = Tensor.Randn([n, n], g).To(FashionData.Target);
            var b = Tensor.Randn([n, n], g).To(FashionData.Target);
            for (int i = 0; i < 3; i++) using (new TensorScope()) _ = a.MatMul(b);
            FashionData.Synchronize();
            int reps = Math.Max(5, (int)(2e12 / (2.0 * n * n * n)));
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < reps; i++) using (new TensorScope()) _ = a.MatMul(b);
            FashionData.Synchronize();
            double seconds = clock.Elapsed.TotalSeconds / reps;
            Emit(string.Create(CultureInfo.InvariantCulture, $"\"work\": \"sgemm{n}{(tf32 ? "_tf32" : "")}\", \"gflops\": {2.0 * n * n * n / seconds / 1e9:F1}"));
        }
        finally { cuda?.Cuda.Blas.SetTf32(false); }
    }

    /// <summary>The peers' tiny step: 1-2-1 sigmoid net, SGD 0.2, half squared error, one sample; µs per step.</summary>
    private static void TinyStep()
    {
        var cuda = FashionData.Target;
        var net = new Sequential(new Linear(1, 2, generator: new Generator(0)), new Sigmoid(), new Linear(2, 1, generator: new Generator(1)), new Sigmoid());
        net.To(cuda);
        var opt = new Sgd(net.Parameters(), lr: 0.2);
        var x = Tensor.FromArray(new float[,] { { 2f } }).To(cuda);
        var y = Tensor.FromArray(new float[,] { { 1f } }).To(cuda);
        void Step()
        {
            using var scope = new TensorScope();
            opt.ZeroGrad(setToNone: false);
            var d = net.Forward(x) - y;
            (0.5 * (d * d).Sum()).Backward();
            opt.Step();
        }
        for (int i = 0; i < 1000; i++) Step();
        FashionData.Synchronize();
        int n = FashionData.OnCuda ? 5000 : 500;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < n; i++) Step();
        FashionData.Synchronize();
        Emit(string.Create(CultureInfo.InvariantCulture, $"\"work\": \"tiny_step\", \"us_per_step\": {clock.Elapsed.TotalSeconds / n * 1e6:F2}"));
    }

    /// <summary>Trains <paramref name="model"/> on data resident on the GPU, each batch gathered there by a slice of a shuffled index tensor uploaded once per epoch.</summary>
    private static void Train(string model, int batch, int epochs, FashionData data)
    {
        var cuda = FashionData.Target;
        var xtr = Training.Shape(model, data.TrainX).To(cuda);
        var ytr = data.TrainY.To(cuda);
        var net = Training.Build(model);
        net.To(cuda);
        var opt = new Adam(net.Parameters(), lr: 1e-3);
        var lossFn = new CrossEntropyLoss();
        int count = xtr.Shape[0], samples = 0;
        var random = new Random(0);
        FashionData.Synchronize();
        var clock = Stopwatch.StartNew();
        for (int epoch = 0; epoch < epochs && clock.Elapsed < Budget; epoch++)
        {
            var perm = Enumerable.Range(0, count).Select(i => (long)i).ToArray();
            random.Shuffle(perm);
            var order = Tensor.FromArray(perm).To(cuda);
            for (int i = 0; i < count && clock.Elapsed < Budget; i += batch)
            {
                using var scope = new TensorScope();
                var ix = order.Narrow(0, i, Math.Min(batch, count - i));
                opt.ZeroGrad(setToNone: false);
                lossFn.Forward(net.Forward(xtr.IndexSelect(0, ix)), ytr.IndexSelect(0, ix)).Backward();
                opt.Step();
                samples += ix.Shape[0];
            }
        }
        FashionData.Synchronize();
        double seconds = clock.Elapsed.TotalSeconds;
        string accuracy = data.Real ? Accuracy(model, net, data).ToString("F4", CultureInfo.InvariantCulture) : "null";
        Emit(string.Create(CultureInfo.InvariantCulture,
            $"\"work\": \"fmnist_{model}_b{batch}\", \"samples_per_s\": {samples / seconds:F0}, \"test_acc\": {accuracy}, \"epochs\": {samples / (double)count:F2}"));
    }

    private static double Accuracy(string model, Module net, FashionData data)
    {
        var logits = new List<float>();
        using (Autograd.NoGrad())
            for (int start = 0; start < data.TestX.Shape[0]; start += 1000)
            {
                using var scope = new TensorScope();
                int n = Math.Min(1000, data.TestX.Shape[0] - start);
                logits.AddRange(net.Forward(Training.Shape(model, data.TestX.Narrow(0, start, n)).To(FashionData.Target)).ToArray<float>());
            }
        return FashionData.Accuracy([.. logits], data.TestY.ToArray<long>());
    }
}
