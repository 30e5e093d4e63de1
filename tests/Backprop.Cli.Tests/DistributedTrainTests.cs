using Backprop.Distributed.Tests;
using Backprop.IO;

namespace Backprop.Cli.Tests;

/// <summary>
/// <c>train --distributed</c> under real mpirun: 2 ranks with batch 32 each end with the weights of 1 rank with batch 64
/// (the same global batches through DistributedSampler), and only rank 0 prints.
/// </summary>
[Collection("mpi")]
public sealed class DistributedTrainTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("backprop-ddp-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private MpiRun Train(int ranks, int batch, string folder)
    {
        string cli = Path.Combine(AppContext.BaseDirectory, "Backprop.Cli.dll");
        // digits: 1,438 training rows, even, so 2 ranks need no padding and every global batch is the same set of rows.
        var run = MpiRun.Start(ranks, cli, $"train --distributed --batch-size {batch} --epochs 3 --optimizer momentum --out {Path.Combine(dir, folder)}",
            TimeSpan.FromSeconds(150), dir);
        Assert.True(run.ExitCode == 0, $"mpirun -np {ranks} train exited with {run.ExitCode}:\n{run.Output}");
        return run;
    }

    [MpiFact]
    public void TwoRanksOfBatch32_EndWithTheWeightsOfOneRankOfBatch64()
    {
        var two = Train(2, 32, "two");
        var one = Train(1, 64, "one");
        Assert.Contains("batch 32 per rank × 2 ranks = 64 global", System.Text.RegularExpressions.Regex.Replace(two.Output, @"\s+", " ")); // the console wraps at 80 columns
        Assert.Single(two.Output.Split('\n'), l => l.Contains("epoch   3/3")); // rank 1 prints nothing
        var a = SafeTensors.Load(Path.Combine(dir, "two", "model.safetensors"));
        var b = SafeTensors.Load(Path.Combine(dir, "one", "model.safetensors"));
        Assert.Equal(b.Keys.Order(), a.Keys.Order());
        foreach (var (name, expected) in b)
        {
            var x = a[name].ToArray();
            var y = expected.ToArray();
            double diff = x.Zip(y, (p, q) => Math.Abs(p - q)).Max(), scale = y.Max(Math.Abs);
            Assert.True(diff <= 1e-5 * scale, $"{name}: max difference {diff:E3} exceeds 1e-5 × {scale:E3}");
        }
        var initial = new Backprop.Cli.Training.ModelSpec { Inputs = 64, Hidden = [64], Classes = [.. Enumerable.Range(0, 10).Select(i => i.ToString())], Activation = "relu" }.Build(0).StateDict();
        Assert.True(initial.Any(kv => kv.Value.ToArray().Zip(b[kv.Key].ToArray(), (p, q) => Math.Abs(p - q)).Max() > 1e-2), "training must move the weights");
    }
}

[CollectionDefinition("mpi", DisableParallelization = true)]
public sealed class MpiCollection;
