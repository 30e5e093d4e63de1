using System.Globalization;
using System.Security.Cryptography;
using Backprop.Data;
using Backprop.NN;
using Backprop.Optim;

namespace Backprop.Distributed.Worker;

/// <summary>
/// Trains an MLP on the embedded digits with DistributedDataParallel and, in the same process, the same model without
/// it on the same global batches (batch size × world size, same sampler seed), then prints how far apart they are and a
/// hash of the DDP weights (equal on every rank when the replicas are identical).
/// </summary>
internal static class TrainingCheck
{
    private const int Steps = 5, PerRankBatch = 8;

    public static void Run(MpiProcessGroup g, DType dtype, double bucketCapMb, int accumulate)
    {
        var digits = Datasets.Digits();
        var x = (digits.Features / 16).To(dtype);
        var data = new TensorDataset(x, digits.Labels);

        // Each rank starts from different weights: DDP's broadcast must replace them with rank 0's.
        var model = Build(seed: 100 + g.Rank, dtype);
        var ddp = new DistributedDataParallel(model, g, bucketCapMb);
        var sampler = new DistributedSampler(data.Count, g.Size, g.Rank, shuffle: true, seed: 7);
        var spread = new List<bool>();
        var ddpWeights = Train(ddp, new DataLoader(data, PerRankBatch, sampler: sampler), accumulate, ddp.NoSync,
            afterBackward: () => spread.Add(GradientsDifferAcrossRanks(g, model)));

        var reference = Build(seed: 100, dtype);
        var single = new DistributedSampler(data.Count, 1, 0, shuffle: true, seed: 7);
        var refWeights = Train(reference, new DataLoader(data, PerRankBatch * g.Size, sampler: single), accumulate, null);

        double maxDiff = 0, maxRef = 0;
        for (int i = 0; i < refWeights.Length; i++)
        {
            maxDiff = Math.Max(maxDiff, Math.Abs(ddpWeights[i] - refWeights[i]));
            maxRef = Math.Max(maxRef, Math.Abs(refWeights[i]));
        }
        string key = $"train_{dtype}_accumulate{accumulate}";
        var hash = Convert.ToHexString(SHA256.HashData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(ddpWeights.AsSpan())));
        Console.WriteLine(FormattableString.Invariant($"R|{key}|{g.Rank}|relative_difference={maxDiff / maxRef:E3};hash={hash};buckets={ddp.BucketBytes.Count};moved={Moved(refWeights, Flatten(Build(100, dtype))):E3};grads_differ_after_each_backward={string.Join(",", spread)}"));
    }

    private static Sequential Build(int seed, DType dtype) =>
        new(new Linear(64, 32, generator: new Generator(seed), dtype: dtype), new Tanh(), new Linear(32, 16, generator: new Generator(seed + 50), dtype: dtype),
            new Relu(), new Linear(16, 10, generator: new Generator(seed + 90), dtype: dtype));

    /// <summary>SGD with momentum over <see cref="Steps"/> updates of <paramref name="accumulate"/> micro-batches each.</summary>
    private static double[] Train(Module model, DataLoader loader, int accumulate, Func<IDisposable>? noSync, Action? afterBackward = null)
    {
        var opt = new Sgd(model.Parameters(), lr: 0.1, momentum: 0.9);
        var lossFn = new CrossEntropyLoss();
        using var batches = loader.GetEnumerator();
        for (int step = 0; step < Steps; step++)
        {
            opt.ZeroGrad();
            for (int micro = 0; micro < accumulate; micro++)
            {
                if (!batches.MoveNext()) throw new InvalidOperationException("the check ran out of data; use fewer steps");
                var (xb, yb) = batches.Current;
                using var skip = micro < accumulate - 1 ? noSync?.Invoke() : null;
                lossFn.Forward(model.Forward(xb), yb).Backward();
                if (step == 0) afterBackward?.Invoke();
            }
            opt.Step();
        }
        return Flatten(model);
    }

    /// <summary>Whether the ranks' gradients differ: they must after a NoSync backward (local data) and not after a synchronised one.</summary>
    private static bool GradientsDifferAcrossRanks(IProcessGroup g, Module model)
    {
        double[] mine = [.. model.Parameters().SelectMany(p => p.Grad!.ToArray())];
        var all = new double[mine.Length * g.Size];
        g.AllGather<double>(mine, all);
        for (int r = 0; r < g.Size; r++)
            if (!all.AsSpan(r * mine.Length, mine.Length).SequenceEqual(mine)) return true;
        return false;
    }

    private static double[] Flatten(Module model) => [.. model.Parameters().SelectMany(p => p.ToArray())];

    /// <summary>How far training moved the reference weights (so a zero difference is not a run that did nothing).</summary>
    private static double Moved(double[] trained, double[] initial) => trained.Zip(initial, (a, b) => Math.Abs(a - b)).Max();
}
