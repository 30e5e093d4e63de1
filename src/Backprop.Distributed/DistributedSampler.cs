using System.Collections;
using Backprop.Data;

namespace Backprop.Distributed;

/// <summary>
/// Gives each rank its own part of a data set (<c>torch.utils.data.distributed.DistributedSampler</c>, same algorithm):
/// one permutation of all indices — drawn from a generator seeded with <c>seed + epoch</c>, identical on every rank — is
/// padded by repeating its start (or cut, with <c>dropLast</c>) to a multiple of the number of replicas, and rank r takes
/// every <c>numReplicas</c>-th index starting at r. So the ranks' shards are disjoint, equally long, and together cover the
/// data set; call <see cref="SetEpoch"/> before each epoch for a new order. With a per-rank batch size b, batch k on all
/// ranks together is positions k·b·n … (k+1)·b·n − 1 of the permutation: the same global batches a single process
/// gets with batch size b·n. The permutation comes from Backprop's <see cref="Generator"/>, not PyTorch's.
/// </summary>
public sealed class DistributedSampler : ISampler
{
    private readonly int datasetCount;

    /// <summary>Creates the sampler for rank <paramref name="rank"/> of <paramref name="numReplicas"/> (<c>DistributedSampler(dataset, num_replicas, rank, shuffle=True, seed=0, drop_last=False)</c>).</summary>
    public DistributedSampler(int datasetCount, int numReplicas, int rank, bool shuffle = true, long seed = 0, bool dropLast = false)
    {
        if (datasetCount < 0) throw new ArgumentOutOfRangeException(nameof(datasetCount), datasetCount, "DistributedSampler: the data set size cannot be negative.");
        if (numReplicas < 1) throw new ArgumentOutOfRangeException(nameof(numReplicas), numReplicas, "DistributedSampler: numReplicas must be at least 1.");
        if (rank < 0 || rank >= numReplicas)
            throw new ArgumentOutOfRangeException(nameof(rank), rank, $"DistributedSampler: invalid rank {rank}, rank should be in the interval [0, {numReplicas - 1}].");
        this.datasetCount = datasetCount;
        (NumReplicas, Rank, Shuffle, Seed, DropLast) = (numReplicas, rank, shuffle, seed, dropLast);
        Count = dropLast && datasetCount % numReplicas != 0
            ? (int)Math.Ceiling((datasetCount - numReplicas) / (double)numReplicas)
            : (datasetCount + numReplicas - 1) / numReplicas;
    }

    /// <summary>Shards <paramref name="dataset"/> over the ranks of <paramref name="group"/> (<c>num_replicas</c> and <c>rank</c> from the default group).</summary>
    public DistributedSampler(IDataset<Tensor[]> dataset, IProcessGroup group, bool shuffle = true, long seed = 0, bool dropLast = false)
        : this(dataset.Count, group.Size, group.Rank, shuffle, seed, dropLast) { }

    /// <summary>Number of ranks sharing the data set (<c>num_replicas</c>).</summary>
    public int NumReplicas { get; }

    /// <summary>This sampler's rank.</summary>
    public int Rank { get; }

    /// <summary>Whether each epoch draws a new permutation.</summary>
    public bool Shuffle { get; }

    /// <summary>The base seed; epoch e uses <c>Seed + e</c>.</summary>
    public long Seed { get; }

    /// <summary>Whether the tail that does not divide evenly is dropped instead of padded.</summary>
    public bool DropLast { get; }

    /// <summary>The epoch the next enumeration uses (<c>sampler.set_epoch</c>).</summary>
    public int Epoch { get; private set; }

    /// <summary>Indices per rank and epoch (<c>num_samples</c>).</summary>
    public int Count { get; }

    /// <summary>Indices over all ranks (<c>total_size</c>).</summary>
    public int TotalSize => Count * NumReplicas;

    /// <summary>Sets the epoch, which seeds the permutation (<c>sampler.set_epoch(epoch)</c>); call it before each epoch.</summary>
    public void SetEpoch(int epoch) => Epoch = epoch;

    /// <summary>This rank's indices for the current epoch.</summary>
    public IEnumerator<int> GetEnumerator()
    {
        var indices = Shuffle ? DatasetSplits.Permutation(datasetCount, new Generator(Seed + Epoch)) : Enumerable.Range(0, datasetCount).ToArray();
        var full = new int[TotalSize];
        if (DropLast) Array.Copy(indices, full, TotalSize);
        else
            for (int i = 0; i < TotalSize; i++) full[i] = indices[i % datasetCount]; // PyTorch pads by repeating the list from its start
        for (int i = Rank; i < TotalSize; i += NumReplicas) yield return full[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
