using System.Diagnostics;
using System.Globalization;
using Backprop.Data;
using Backprop.NN;
using Backprop.Optim;

namespace Backprop.Bench;

/// <summary>The benchmark workloads, defined exactly as the peers run them (shared/peers/torch_bench.py).</summary>
public static class Workloads
{
    /// <summary>
    /// n×n float32 matrix multiply; returns GFLOP/s. Each product's output is dropped at once, as in the peers' loops;
    /// a <see cref="TensorScope"/> per product hands its buffer back for the next one, as PyTorch's allocator reuses
    /// a freed result's memory (without it every 4 MB output is fresh memory the OS must fault in and zero).
    /// </summary>
    public static double Sgemm(int n)
    {
        var g = new Generator(0);
        var a = Tensor.Randn([n, n], g);
        var b = Tensor.Randn([n, n], g);
        void Product()
        {
            using var scope = new TensorScope();
            a.MatMul(b);
        }
        for (int i = 0; i < 3; i++) Product();
        int reps = Math.Max(3, (int)(2e9 / (2.0 * n * n * n)));
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < reps; i++) Product();
        double seconds = clock.Elapsed.TotalSeconds / reps;
        return 2.0 * n * n * n / seconds / 1e9;
    }

    /// <summary>Bytes the calling thread allocated per step in the last <see cref="TinyStep"/> or <see cref="FashionMnistMlp"/> run.</summary>
    public static double LastAllocatedBytesPerStep { get; internal set; }

    /// <summary>
    /// One SGD step of the 1-2-1 sigmoid network (x = 2, y = 1, lr 0.2), batch of one; returns µs per step. The peers
    /// warm up for 1,000 steps; a larger <paramref name="warmup"/> shows the cost once the JIT has optimised every method.
    /// </summary>
    public static double TinyStep(int warmup = 1000)
    {
        var net = new Sequential(new Linear(1, 2, generator: new Generator(0)), new Sigmoid(), new Linear(2, 1, generator: new Generator(1)), new Sigmoid());
        var opt = new Sgd(net.Parameters(), lr: 0.2);
        var x = Tensor.FromArray(new float[,] { { 2 } });
        var y = Tensor.FromArray(new float[,] { { 1 } });
        void Step()
        {
            using var scope = new TensorScope();
            opt.ZeroGrad(setToNone: false);
            var d = net.Forward(x) - y;
            var loss = 0.5 * (d * d).Sum();
            loss.Backward();
            opt.Step();
        }
        for (int i = 0; i < warmup; i++) Step();
        const int n = 20000;
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < n; i++) Step();
        double seconds = clock.Elapsed.TotalSeconds;
        LastAllocatedBytesPerStep = (GC.GetAllocatedBytesForCurrentThread() - allocated) / (double)n;
        return seconds / n * 1e6;
    }

    /// <summary>Fashion-MNIST, MLP 784-256-128-10 ReLU, Adam 1e-3, cross-entropy, shuffled batches; returns (samples/s, test accuracy).</summary>
    public static (double SamplesPerSecond, double TestAccuracy) FashionMnistMlp(int batch, int epochs)
    {
        var train = Datasets.FashionMnist(train: true);
        var test = Datasets.FashionMnist(train: false);
        var xtr = train.Features.Reshape([-1, 784]);
        var xte = test.Features.Reshape([-1, 784]);
        var model = new Sequential(new Linear(784, 256, generator: new Generator(1)), new Relu(),
            new Linear(256, 128, generator: new Generator(2)), new Relu(), new Linear(128, 10, generator: new Generator(3)));
        var opt = new Adam(model.Parameters(), lr: 1e-3);
        var lossFn = new CrossEntropyLoss();
        var loader = new DataLoader(new TensorDataset(xtr, train.Labels), batch, shuffle: true, seed: 0, recycleBatches: true);
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        int steps = 0;
        var clock = Stopwatch.StartNew();
        for (int e = 0; e < epochs; e++)
            foreach (var (xb, yb) in loader)
            {
                using var scope = new TensorScope();
                opt.ZeroGrad(setToNone: false);
                lossFn.Forward(model.Forward(xb), yb).Backward();
                opt.Step();
                steps++;
            }
        double seconds = clock.Elapsed.TotalSeconds;
        LastAllocatedBytesPerStep = (GC.GetAllocatedBytesForCurrentThread() - allocated) / (double)steps;
        double accuracy;
        using (Autograd.NoGrad()) accuracy = model.Forward(xte).ArgMax(1).Eq(test.Labels).Sum().Item() / test.Count;
        return (epochs * train.Count / seconds, accuracy);
    }

    /// <summary>
    /// Fashion-MNIST CNN exactly as the peers run it: conv 1→32 3×3 pad 1, ReLU, max-pool 2, conv 32→64 3×3 pad 1, ReLU,
    /// max-pool 2, linear 3136→128, ReLU, linear 128→10; Adam 1e-3, cross-entropy, shuffled batches; returns (samples/s, test accuracy).
    /// </summary>
    public static (double SamplesPerSecond, double TestAccuracy) FashionMnistCnn(int batch, int epochs, int maxSteps = int.MaxValue)
    {
        var train = Datasets.FashionMnist(train: true);
        var test = Datasets.FashionMnist(train: false);
        var xtr = train.Features.Reshape([-1, 1, 28, 28]);
        var xte = test.Features.Reshape([-1, 1, 28, 28]);
        var model = CnnModel();
        var opt = new Adam(model.Parameters(), lr: 1e-3);
        var lossFn = new CrossEntropyLoss();
        var loader = new DataLoader(new TensorDataset(xtr, train.Labels), batch, shuffle: true, seed: 0, recycleBatches: true);
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        int steps = 0;
        var clock = Stopwatch.StartNew();
        for (int e = 0; e < epochs && steps < maxSteps; e++)
            foreach (var (xb, yb) in loader)
            {
                using var scope = new TensorScope();
                opt.ZeroGrad(setToNone: false);
                lossFn.Forward(model.Forward(xb), yb).Backward();
                opt.Step();
                if (++steps >= maxSteps) break;
            }
        double seconds = clock.Elapsed.TotalSeconds;
        LastAllocatedBytesPerStep = (GC.GetAllocatedBytesForCurrentThread() - allocated) / (double)steps;
        int correct = 0;
        using (Autograd.NoGrad())
            for (int start = 0; start < test.Count; start += 1000)
            {
                using var scope = new TensorScope();
                int n = Math.Min(1000, test.Count - start);
                correct += (int)model.Forward(xte.Narrow(0, start, n)).ArgMax(1).Eq(test.Labels.Narrow(0, start, n)).Sum().Item();
            }
        return (Math.Min(steps * batch, epochs * train.Count) / seconds, correct / (double)test.Count);
    }

    /// <summary>The benchmark's CNN (the peers' <c>fmnist_cnn_b128</c> net).</summary>
    public static Sequential CnnModel() => new(
        new Conv2d(1, 32, 3, padding: 1, generator: new Generator(1)), new Relu(), new MaxPool2d(2),
        new Conv2d(32, 64, 3, padding: 1, generator: new Generator(2)), new Relu(), new MaxPool2d(2),
        new Flatten(), new Linear(64 * 7 * 7, 128, generator: new Generator(3)), new Relu(), new Linear(128, 10, generator: new Generator(4)));

    /// <summary>Prints one JSON line in the peers' format.</summary>
    public static void Emit(params (string Key, object Value)[] fields) => Console.WriteLine(Json(fields));

    /// <summary>One JSON object on one line, e.g. <c>{"work": "sgemm1024", "gflops": 101.2}</c>.</summary>
    public static string Json(params (string Key, object Value)[] fields) =>
        "{" + string.Join(", ", fields.Select(f => $"\"{f.Key}\": " + (f.Value is string s ? $"\"{s}\"" : Convert.ToString(f.Value, CultureInfo.InvariantCulture)))) + "}";
}
