using System.Diagnostics;
using Backprop.Data;
using Backprop.NN;
using Backprop.Optim;

namespace Backprop.Bench;

/// <summary>
/// Where one step of the fmnist_mlp workload spends its time: batch gather, ZeroGrad, forward, backward, optimizer
/// step and ending the step's TensorScope, in µs per step over the second and third epochs (the first warms up); and
/// how many jobs per 100 steps went to the pool's workers, and how many of those had to wake a parked worker.
/// </summary>
public static class PhaseProbe
{
    public static (string Phase, double Microseconds)[] Run(int batch)
    {
        var train = Datasets.FashionMnist(train: true);
        var model = new Sequential(new Linear(784, 256, generator: new Generator(1)), new Relu(),
            new Linear(256, 128, generator: new Generator(2)), new Relu(), new Linear(128, 10, generator: new Generator(3)));
        var opt = new Adam(model.Parameters(), lr: 1e-3);
        var lossFn = new CrossEntropyLoss();
        var loader = new DataLoader(new TensorDataset(train.Features.Reshape([-1, 784]), train.Labels), batch, shuffle: true, seed: 0, recycleBatches: true);
        string[] names = ["gather", "zero_grad", "forward", "backward", "step", "scope_end"];
        var clocks = names.Select(_ => new Stopwatch()).ToArray();
        int steps = 0;
        for (int epoch = 0; epoch < 3; epoch++)
        {
            if (epoch == 1) { foreach (var c in clocks) c.Reset(); steps = 0; Backprop.Kernels.WorkerPool.PostedJobs = Backprop.Kernels.WorkerPool.WakePosts = 0; }
            using var batches = loader.GetEnumerator();
            while (true)
            {
                clocks[0].Start(); bool more = batches.MoveNext(); clocks[0].Stop();
                if (!more) break;
                var (x, y) = batches.Current;
                var scope = new TensorScope();
                clocks[1].Start(); opt.ZeroGrad(setToNone: false); clocks[1].Stop();
                clocks[2].Start(); var loss = lossFn.Forward(model.Forward(x), y); clocks[2].Stop();
                clocks[3].Start(); loss.Backward(); clocks[3].Stop();
                clocks[4].Start(); opt.Step(); clocks[4].Stop();
                clocks[5].Start(); scope.Dispose(); clocks[5].Stop();
                steps++;
            }
        }
        return [.. names.Select((n, i) => (n, clocks[i].Elapsed.TotalMilliseconds * 1000 / steps)),
            ("pool_jobs_per_step_x100", 100.0 * Backprop.Kernels.WorkerPool.PostedJobs / steps), ("pool_wakes_per_step_x100", 100.0 * Backprop.Kernels.WorkerPool.WakePosts / steps)];
    }
}
