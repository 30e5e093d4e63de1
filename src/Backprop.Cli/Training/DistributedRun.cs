using Backprop.Data;
using Backprop.Distributed;

namespace Backprop.Cli.Training;

/// <summary>
/// What <c>train --distributed</c> adds to a run: the MPI process group, one compute thread share per rank, sums of the
/// metrics over ranks, and the evaluation shard of each rank.
/// </summary>
internal static class DistributedRun
{
    /// <summary>Joins the MPI job (<c>mpirun -np N backprop train --distributed</c>; one rank without a launcher).</summary>
    public static MpiProcessGroup Join() => MpiProcessGroup.Init();

    /// <summary>
    /// Compute threads per rank when neither <c>--threads</c> nor <c>BACKPROP_NUM_THREADS</c> says: the cores divided by the
    /// ranks on this node (<c>OMPI_COMM_WORLD_LOCAL_SIZE</c>), as torchrun sets <c>OMP_NUM_THREADS</c>, so ranks do not
    /// oversubscribe the cores; null leaves the choice to the usual default.
    /// </summary>
    public static int? DefaultThreadsPerRank()
    {
        if (!string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(Threading.EnvironmentVariable))) return null;
        int local = int.TryParse(Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_LOCAL_SIZE"), out var n) && n > 0 ? n : 1;
        return Math.Max(1, Threading.AvailableCores / local);
    }

    /// <summary>
    /// The training loader: shuffled by the loader's generator, or with a process group by a <see cref="DistributedSampler"/>
    /// seeded by <c>--seed</c>, batch size per rank ('full' = the rank's whole share).
    /// </summary>
    public static DataLoader Loader(SplitData data, TrainOptions options, IProcessGroup? group)
    {
        var sampler = group is null ? null : new DistributedSampler(data.TrainY.Shape[0], group.Size, group.Rank, shuffle: true, seed: options.Seed);
        int rows = sampler?.Count ?? data.TrainY.Shape[0];
        int batch = options.BatchSize <= 0 ? rows : Math.Min(options.BatchSize, rows);
        return new DataLoader(new TensorDataset(data.TrainX, data.TrainY), batch, shuffle: sampler is null, seed: options.Seed, recycleBatches: true, sampler: sampler,
            device: options.Device, pinMemory: options.Device?.Kind == DeviceKind.Cuda);
    }

    /// <summary>Element-wise sums over all ranks (the values themselves without a group).</summary>
    public static double[] Sum(IProcessGroup? group, params double[] values)
    {
        group?.AllReduce<double>(values);
        return values;
    }

    /// <summary>This rank's rows of the validation set: every Size-th row from Rank (all rows without a group).</summary>
    public static (Tensor X, Tensor Y) Shard(IProcessGroup? group, Tensor x, Tensor y)
    {
        if (group is null || group.Size == 1) return (x, y);
        long[] rows = [.. Enumerable.Range(0, y.Shape[0]).Where(i => i % group.Size == group.Rank).Select(i => (long)i)];
        var index = Tensor.FromArray(rows);
        return (x.IndexSelect(0, index), y.IndexSelect(0, index));
    }
}
