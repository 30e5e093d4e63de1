using System.Diagnostics;
using System.Globalization;
using Backprop.Data;
using Backprop.Distributed;
using Backprop.NN;
using Backprop.Optim;

namespace Backprop.Bench;

/// <summary>
/// Data-parallel workloads. The parent process runs <c>mpirun -np R</c> of this same program for each rank count and
/// passes on rank 0's JSON line: <c>ddp_fmnist_mlp</c> (the fmnist_mlp training step under DistributedDataParallel, batch
/// 64 per rank, one epoch of the training set split over the ranks) and <c>allreduce_*mb</c> (MPI all-reduce of Float32
/// buffers on the process group).
/// </summary>
public static class DistributedBench
{
    /// <summary>Runs <paramref name="mode"/> on 1, 2, … ranks via mpirun and prints rank 0's result lines.</summary>
    public static void Launch(string mode, int[] rankCounts, int threadsPerRank)
    {
        string? mpirun = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, "mpirun")).FirstOrDefault(File.Exists);
        if (mpirun is null) { Workloads.Emit(("work", mode), ("skipped", "mpirun not installed")); return; }
        string self = typeof(DistributedBench).Assembly.Location;
        string root = Environment.UserName == "root" ? "--allow-run-as-root " : "";
        foreach (int ranks in rankCounts)
        {
            var info = new ProcessStartInfo(mpirun, $"{root}--oversubscribe --bind-to none -np {ranks} dotnet {self} {threadsPerRank} {mode}_rank")
            { RedirectStandardOutput = true, UseShellExecute = false };
            info.Environment["TERM"] = "dumb"; // no terminal set-up sequences in front of the JSON
            using var p = Process.Start(info)!;
            string output = p.StandardOutput.ReadToEnd();
            if (!p.WaitForExit(TimeSpan.FromMinutes(10))) { p.Kill(true); Workloads.Emit(("work", mode), ("ranks", ranks), ("error", "timed out after 10 min")); continue; }
            foreach (var line in output.Split('\n').Where(l => l.Contains("{\"work\"", StringComparison.Ordinal))) Console.WriteLine(line[line.IndexOf('{')..].TrimEnd());
            if (p.ExitCode != 0) Workloads.Emit(("work", mode), ("ranks", ranks), ("error", $"mpirun exited with {p.ExitCode}"));
        }
    }

    /// <summary>One rank of <c>ddp_fmnist_mlp</c>: the Fashion-MNIST MLP (784-256-128-10, Adam) with DDP.</summary>
    public static void FashionMnistRank()
    {
        using var g = MpiProcessGroup.Init();
        var train = Datasets.FashionMnist(train: true);
        var data = new TensorDataset(train.Features.Reshape([-1, 784]), train.Labels);
        var model = new Sequential(new Linear(784, 256, generator: new Generator(1)), new Relu(),
            new Linear(256, 128, generator: new Generator(2)), new Relu(), new Linear(128, 10, generator: new Generator(3)));
        var ddp = new DistributedDataParallel(model, g);
        var opt = new Adam(model.Parameters(), lr: 1e-3);
        var lossFn = new CrossEntropyLoss();
        var sampler = new DistributedSampler(data.Count, g.Size, g.Rank, seed: 0);
        var loader = new DataLoader(data, 64, sampler: sampler, recycleBatches: true);
        void Epoch(int limit)
        {
            int steps = 0;
            foreach (var (xb, yb) in loader)
            {
                using var scope = new TensorScope();
                opt.ZeroGrad(setToNone: false);
                lossFn.Forward(ddp.Forward(xb), yb).Backward();
                opt.Step();
                if (++steps == limit) break;
            }
        }
        Epoch(50); // warm-up: JIT, buffer pool
        g.Barrier();
        var clock = Stopwatch.StartNew();
        sampler.SetEpoch(1);
        Epoch(int.MaxValue);
        g.Barrier();
        double seconds = clock.Elapsed.TotalSeconds;
        if (g.Rank == 0)
            Workloads.Emit(("work", "ddp_fmnist_mlp"), ("ranks", g.Size), ("threads_per_rank", Threading.NumThreads), ("batch_per_rank", 64),
                ("samples_per_s", Math.Round(sampler.TotalSize / seconds)), ("seconds_per_epoch", Math.Round(seconds, 2)));
    }

    /// <summary>One rank of <c>allreduce</c>: mean time of a Float32 all-reduce of 1, 10 and 100 MB.</summary>
    public static void AllReduceRank()
    {
        using var g = MpiProcessGroup.Init();
        foreach (int mb in new[] { 1, 10, 100 })
        {
            var buffer = new float[mb * 1_000_000 / 4];
            g.AllReduce<float>(buffer);
            int reps = mb >= 100 ? 3 : 10;
            g.Barrier();
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < reps; i++) g.AllReduce<float>(buffer);
            double seconds = clock.Elapsed.TotalSeconds / reps;
            // Bus bandwidth as NCCL reports it: each rank sends and receives 2(p−1)/p of the buffer in a ring all-reduce.
            double bus = mb * 2.0 * (g.Size - 1) / g.Size / seconds / 1000;
            if (g.Rank == 0)
                Workloads.Emit(("work", $"allreduce_{mb}mb"), ("ranks", g.Size), ("ms", Math.Round(seconds * 1e3, 2)),
                    ("algbw_gb_per_s", Math.Round(mb / seconds / 1000, 3)), ("busbw_gb_per_s", Math.Round(bus, 3)));
        }
    }
}
