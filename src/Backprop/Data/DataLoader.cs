namespace Backprop.Data;

/// <summary>
/// Iterates over a dataset in batches (<c>torch.utils.data.DataLoader</c>). Batch size = dataset size gives batch
/// gradient descent, 1 gives SGD, anything between mini-batch GD. With <c>shuffle</c> every epoch (every enumeration)
/// draws a new order from a generator seeded once by <c>seed</c>, so runs are reproducible. Datasets of row tensors
/// (<see cref="ITensorRows"/>) are batched with one vectorized gather per tensor; other datasets go through
/// <c>collate</c> (default: stack each field).
/// </summary>
public sealed class DataLoader : IEnumerable<Tensor[]>
{
    private readonly IDataset<Tensor[]> dataset;
    private readonly Func<IReadOnlyList<Tensor[]>, Tensor[]>? collate;
    private readonly Generator generator;

    /// <summary>Creates the loader.</summary>
    public DataLoader(IDataset<Tensor[]> dataset, int batchSize = 1, bool shuffle = false, bool dropLast = false, long seed = 0,
        Func<IReadOnlyList<Tensor[]>, Tensor[]>? collate = null)
    {
        if (batchSize <= 0) throw new ArgumentException($"DataLoader: batchSize must be positive, got {batchSize}.");
        this.dataset = dataset;
        BatchSize = batchSize;
        Shuffle = shuffle;
        DropLast = dropLast;
        this.collate = collate;
        generator = new Generator(seed);
    }

    /// <summary>Samples per batch.</summary>
    public int BatchSize { get; }

    /// <summary>Whether each epoch uses a new random order.</summary>
    public bool Shuffle { get; }

    /// <summary>Whether a last, smaller batch is dropped.</summary>
    public bool DropLast { get; }

    /// <summary>Batches per epoch (<c>len(loader)</c>): the number of optimizer updates one epoch makes.</summary>
    public int Count => DropLast ? dataset.Count / BatchSize : (dataset.Count + BatchSize - 1) / BatchSize;

    /// <summary>Enumerates one epoch of batches.</summary>
    public IEnumerator<Tensor[]> GetEnumerator()
    {
        int n = dataset.Count;
        var order = Shuffle ? DatasetSplits.Permutation(n, generator) : Enumerable.Range(0, n).ToArray();
        for (int b = 0; b < Count; b++)
        {
            int start = b * BatchSize, size = Math.Min(BatchSize, n - start);
            var idx = order.AsSpan(start, size);
            if (dataset is ITensorRows rows && collate is null)
            {
                var ids = new long[size];
                for (int i = 0; i < size; i++) ids[i] = idx[i];
                yield return rows.Gather(Tensor.FromArray(ids));
            }
            else
            {
                var samples = new Tensor[size][];
                for (int i = 0; i < size; i++) samples[i] = dataset[idx[i]];
                yield return (collate ?? Stack)(samples);
            }
        }
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>The default collate: stacks each field of the samples along a new dim 0.</summary>
    public static Tensor[] Stack(IReadOnlyList<Tensor[]> samples)
    {
        int fields = samples[0].Length;
        var result = new Tensor[fields];
        for (int f = 0; f < fields; f++) result[f] = Tensor.Stack(samples.Select(s => s[f]).ToArray());
        return result;
    }
}

/// <summary>Lets a batch be deconstructed: <c>foreach (var (x, y) in loader)</c>.</summary>
public static class BatchExtensions
{
    /// <summary>Splits a two-field batch into inputs and targets.</summary>
    public static void Deconstruct(this Tensor[] batch, out Tensor x, out Tensor y)
    {
        if (batch.Length != 2) throw new InvalidOperationException($"This batch has {batch.Length} fields; deconstruct it into that many variables or index it.");
        (x, y) = (batch[0], batch[1]);
    }
}
