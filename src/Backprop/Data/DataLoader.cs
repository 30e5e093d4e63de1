namespace Backprop.Data;

/// <summary>
/// Iterates over a dataset in batches (<c>torch.utils.data.DataLoader</c>). Batch size = dataset size gives batch
/// gradient descent, 1 gives SGD, anything between mini-batch GD. With <c>shuffle</c> every epoch (every enumeration)
/// draws a new order from a generator seeded once by <c>seed</c>, so runs are reproducible. Datasets of row tensors
/// (<see cref="ITensorRows"/>) are batched with one vectorized gather per tensor; other datasets go through
/// <c>collate</c> (default: stack each field). With <c>recycleBatches</c> a batch's buffers go back to the buffer pool
/// (see <see cref="TensorScope"/>) when the next batch is requested or the epoch ends, so a training loop allocates no
/// new batch memory. Do not use a batch after that unless it was kept with <see cref="Tensor.DetachFromScope"/>: a
/// recycled batch throws <see cref="ObjectDisposedException"/> (batches under 1 KiB are left to the GC and stay valid).
/// A <c>sampler</c> (<see cref="ISampler"/>) decides the indices instead of <c>shuffle</c>, as in PyTorch. With a
/// <c>device</c> each batch is delivered there (a CUDA device: experimental), and with <c>pinMemory</c> it is staged
/// through page-locked host memory and copied asynchronously (PyTorch's <c>pin_memory=True</c> plus
/// <c>.to(device, non_blocking=True)</c>), so gathering the next batch overlaps the device's work on this one.
/// </summary>
public sealed partial class DataLoader : IEnumerable<Tensor[]>
{
    private readonly IDataset<Tensor[]> dataset;
    private readonly Func<IReadOnlyList<Tensor[]>, Tensor[]>? collate;
    private readonly Generator generator;
    private readonly ISampler? sampler;

    /// <summary>
    /// Creates the loader. <paramref name="device"/> (default: where the dataset's batches are made) is where batches are
    /// delivered; <paramref name="pinMemory"/> stages them for a CUDA <paramref name="device"/> through pinned host memory.
    /// </summary>
    public DataLoader(IDataset<Tensor[]> dataset, int batchSize = 1, bool shuffle = false, bool dropLast = false, long seed = 0,
        Func<IReadOnlyList<Tensor[]>, Tensor[]>? collate = null, bool recycleBatches = false, ISampler? sampler = null,
        Device? device = null, bool pinMemory = false)
        : this(dataset, batchSize, shuffle, dropLast, seed, collate, recycleBatches, sampler,
            device is { } target ? Backends.Allocators.For(target, "DataLoader") : null, pinMemory)
    {
    }

    /// <summary>The loader delivering batches to <paramref name="target"/>'s device (tests pass a fake CUDA device's allocator).</summary>
    internal DataLoader(IDataset<Tensor[]> dataset, int batchSize, bool shuffle, bool dropLast, long seed, Func<IReadOnlyList<Tensor[]>, Tensor[]>? collate,
        bool recycleBatches, ISampler? sampler, Backends.Allocator? target, bool pinMemory)
    {
        if (pinMemory && target is not Backends.Cuda.CudaAllocator)
            throw new ArgumentException($"DataLoader: pinMemory stages batches for a CUDA device; pass device: Device.Cuda(n) with it (device is {(target is null ? "not set" : target.Device.ToString())}).");
        Target = target;
        Device = target?.Device;
        PinMemory = pinMemory;
        if (batchSize <= 0) throw new ArgumentException($"DataLoader: batchSize must be positive, got {batchSize}.");
        if (sampler is not null && shuffle)
            throw new ArgumentException("DataLoader: sampler is mutually exclusive with shuffle; let the sampler shuffle (e.g. DistributedSampler(shuffle: true)).");
        this.sampler = sampler;
        this.dataset = dataset;
        BatchSize = batchSize;
        Shuffle = shuffle;
        DropLast = dropLast;
        this.collate = collate;
        RecycleBatches = recycleBatches;
        generator = new Generator(seed);
    }

    /// <summary>The sampler that orders the indices, or null (<c>loader.sampler</c>).</summary>
    public ISampler? Sampler => sampler;

    /// <summary>Samples per batch.</summary>
    public int BatchSize { get; }

    /// <summary>Whether each epoch uses a new random order.</summary>
    public bool Shuffle { get; }

    /// <summary>Whether a batch's buffers are recycled when the next batch is requested (not in PyTorch, where memory is reference-counted).</summary>
    public bool RecycleBatches { get; }

    /// <summary>The device batches are delivered to, or null for where the dataset makes them (PyTorch moves them with <c>.to(device)</c>).</summary>
    public Device? Device { get; }

    /// <summary>Whether batches are staged through pinned host memory and copied asynchronously (<c>loader.pin_memory</c>).</summary>
    public bool PinMemory { get; }

    /// <summary>The allocator of <see cref="Device"/> (tests set a fake device's).</summary>
    internal Backends.Allocator? Target { get; }

    /// <summary>Whether a last, smaller batch is dropped.</summary>
    public bool DropLast { get; }

    /// <summary>Batches per epoch (<c>len(loader)</c>): the number of optimizer updates one epoch makes.</summary>
    public int Count => DropLast ? Samples / BatchSize : (Samples + BatchSize - 1) / BatchSize;

    private int Samples => sampler?.Count ?? dataset.Count;

    /// <summary>Enumerates one epoch of batches.</summary>
    public IEnumerator<Tensor[]> GetEnumerator()
    {
        int first = BeginEpoch();
        int[] order = sampler is not null ? [.. sampler] : Shuffle ? DatasetSplits.Permutation(dataset.Count, generator) : Enumerable.Range(0, dataset.Count).ToArray();
        int n = order.Length, batches = DropLast ? n / BatchSize : (n + BatchSize - 1) / BatchSize;
        var recycler = RecycleBatches ? TensorScope.Detached() : null;
        var staging = PinMemory ? new Backends.Cuda.PinnedStaging((Backends.Cuda.CudaAllocator)Target!) : null;
        try
        {
            for (int b = first; b < batches; b++)
            {
                recycler?.Recycle();
                position = b + 1;
                yield return ToTarget(Batch(order.AsSpan(b * BatchSize, Math.Min(BatchSize, n - b * BatchSize)), recycler), recycler, staging);
            }
            EndEpoch();
        }
        finally
        {
            staging?.Dispose();
            recycler?.Recycle();
        }
    }

    /// <summary>Gathers one batch; its buffers are allocated in <paramref name="recycler"/> when there is one.</summary>
    private Tensor[] Batch(ReadOnlySpan<int> idx, TensorScope? recycler)
    {
        if (dataset is ITensorRows rows && collate is null)
        {
            var ids = new long[idx.Length];
            for (int i = 0; i < idx.Length; i++) ids[i] = idx[i];
            using (recycler?.Activate()) return rows.Gather(Tensor.FromArray(ids));
        }
        var samples = new Tensor[idx.Length][];
        for (int i = 0; i < idx.Length; i++) samples[i] = dataset[idx[i]];
        using (recycler?.Activate()) return (collate ?? Stack)(samples);
    }

    /// <summary>The batch on <see cref="Target"/> (itself without one), its device tensors allocated in <paramref name="recycler"/>.</summary>
    private Tensor[] ToTarget(Tensor[] batch, TensorScope? recycler, Backends.Cuda.PinnedStaging? staging)
    {
        if (Target is null) return batch;
        using (recycler?.Activate())
        {
            if (staging is not null) return staging.Stage(batch);
            var moved = new Tensor[batch.Length];
            for (int i = 0; i < batch.Length; i++) moved[i] = batch[i].To(Target);
            return moved;
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
