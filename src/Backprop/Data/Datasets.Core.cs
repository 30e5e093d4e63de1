namespace Backprop.Data;

/// <summary>A collection of samples addressable by index (<c>torch.utils.data.Dataset</c>).</summary>
public interface IDataset<out T>
{
    /// <summary>Number of samples (<c>len(dataset)</c>).</summary>
    int Count { get; }

    /// <summary>The sample at <paramref name="index"/> (<c>dataset[index]</c>).</summary>
    T this[int index] { get; }
}

/// <summary>
/// A dataset whose samples are rows of tensors and can be gathered many at a time: the <see cref="DataLoader"/> then
/// builds a batch with one <c>IndexSelect</c> per tensor instead of one small tensor per sample.
/// </summary>
public interface ITensorRows : IDataset<Tensor[]>
{
    /// <summary>The rows at <paramref name="indices"/>, one tensor per field, stacked along dim 0.</summary>
    Tensor[] Gather(Tensor indices);
}

/// <summary>Samples are the rows (dim 0) of one or more tensors of equal length (<c>torch.utils.data.TensorDataset</c>).</summary>
public sealed class TensorDataset : ITensorRows
{
    /// <summary>Creates the dataset; all tensors must have the same size in dim 0.</summary>
    public TensorDataset(params Tensor[] tensors)
    {
        if (tensors.Length == 0) throw new ArgumentException("TensorDataset needs at least one tensor.");
        foreach (var t in tensors)
            if (t.Rank == 0 || t.Shape[0] != tensors[0].Shape[0])
                throw new ArgumentException($"TensorDataset: size mismatch between tensors: shapes {string.Join(" and ", tensors.Select(x => x.ShapeString))} must agree in dim 0.");
        Tensors = tensors;
    }

    /// <summary>The tensors, e.g. features and labels.</summary>
    public IReadOnlyList<Tensor> Tensors { get; }

    /// <inheritdoc/>
    public int Count => Tensors[0].Shape[0];

    /// <inheritdoc/>
    public Tensor[] this[int index] => Tensors.Select(t => t[index]).ToArray();

    /// <inheritdoc/>
    public Tensor[] Gather(Tensor indices) => Tensors.Select(t => t.IndexSelect(0, indices)).ToArray();
}

/// <summary>The samples of another dataset at given indices (<c>torch.utils.data.Subset</c>).</summary>
public sealed class Subset<T> : IDataset<T>
{
    /// <summary>Creates the view.</summary>
    public Subset(IDataset<T> dataset, IReadOnlyList<int> indices)
    {
        foreach (var i in indices)
            if (i < 0 || i >= dataset.Count) throw new ArgumentOutOfRangeException(nameof(indices), $"Subset: index {i} is out of range for a dataset of {dataset.Count} samples.");
        Dataset = dataset;
        Indices = indices;
    }

    /// <summary>The underlying dataset.</summary>
    public IDataset<T> Dataset { get; }

    /// <summary>The selected indices into <see cref="Dataset"/>.</summary>
    public IReadOnlyList<int> Indices { get; }

    /// <inheritdoc/>
    public int Count => Indices.Count;

    /// <inheritdoc/>
    public T this[int index] => Dataset[Indices[index]];
}

/// <summary>A <see cref="Subset{T}"/> of row tensors that still gathers rows in one vectorized copy.</summary>
public sealed class TensorSubset : ITensorRows
{
    private readonly ITensorRows dataset;
    private readonly long[] indices;

    /// <summary>Creates the view.</summary>
    public TensorSubset(ITensorRows dataset, IReadOnlyList<int> indices)
    {
        foreach (var i in indices)
            if (i < 0 || i >= dataset.Count) throw new ArgumentOutOfRangeException(nameof(indices), $"Subset: index {i} is out of range for a dataset of {dataset.Count} samples.");
        this.dataset = dataset;
        this.indices = indices.Select(i => (long)i).ToArray();
    }

    /// <summary>The selected indices.</summary>
    public IReadOnlyList<long> Indices => indices;

    /// <inheritdoc/>
    public int Count => indices.Length;

    /// <inheritdoc/>
    public Tensor[] this[int index] => dataset[(int)indices[index]];

    /// <inheritdoc/>
    public Tensor[] Gather(Tensor rows) => dataset.Gather(Tensor.FromArray(indices).IndexSelect(0, rows));

    /// <summary>All rows of this subset as tensors (features, labels, …).</summary>
    public Tensor[] Materialize() => dataset.Gather(Tensor.FromArray(indices));
}

/// <summary>Several datasets one after another (<c>torch.utils.data.ConcatDataset</c>).</summary>
public sealed class ConcatDataset<T> : IDataset<T>
{
    private readonly IDataset<T>[] parts;
    private readonly int[] ends;

    /// <summary>Creates the concatenation.</summary>
    public ConcatDataset(params IDataset<T>[] datasets)
    {
        if (datasets.Length == 0) throw new ArgumentException("ConcatDataset needs at least one dataset.");
        parts = datasets;
        ends = new int[datasets.Length];
        int total = 0;
        for (int i = 0; i < datasets.Length; i++) ends[i] = total += datasets[i].Count;
    }

    /// <inheritdoc/>
    public int Count => ends[^1];

    /// <inheritdoc/>
    public T this[int index]
    {
        get
        {
            if (index < 0 || index >= Count) throw new ArgumentOutOfRangeException(nameof(index), $"ConcatDataset: index {index} is out of range for {Count} samples.");
            int part = 0;
            while (index >= ends[part]) part++;
            return parts[part][index - (part == 0 ? 0 : ends[part - 1])];
        }
    }
}

/// <summary>Dataset helpers.</summary>
public static class DatasetSplits
{
    /// <summary>
    /// Splits a dataset into non-overlapping random subsets of the given sizes (or fractions summing to 1)
    /// (<c>torch.utils.data.random_split</c>), reproducibly from <paramref name="seed"/>.
    /// </summary>
    public static ITensorRows[] RandomSplit(ITensorRows dataset, IReadOnlyList<double> lengths, long seed = 0)
    {
        var sizes = SplitSizes(dataset.Count, lengths);
        var perm = Permutation(dataset.Count, new Generator(seed));
        var result = new ITensorRows[sizes.Length];
        int at = 0;
        for (int i = 0; i < sizes.Length; i++) { result[i] = new TensorSubset(dataset, perm[at..(at + sizes[i])]); at += sizes[i]; }
        return result;
    }

    /// <summary>Sizes from absolute counts, or from fractions (remainders go round-robin to the first parts, as in PyTorch).</summary>
    internal static int[] SplitSizes(int count, IReadOnlyList<double> lengths)
    {
        int[] sizes;
        if (lengths.All(l => l >= 0 && l <= 1) && Math.Abs(lengths.Sum() - 1) < 1e-9 && lengths.Any(l => l != Math.Floor(l)))
        {
            sizes = lengths.Select(f => (int)Math.Floor(count * f)).ToArray();
            int rest = count - sizes.Sum();
            for (int i = 0; i < rest; i++) sizes[i % sizes.Length]++;
        }
        else sizes = lengths.Select(l => (int)l).ToArray();
        if (sizes.Sum() != count)
            throw new ArgumentException($"RandomSplit: sum of input lengths ({string.Join(", ", lengths)}) does not equal the length of the dataset ({count}).");
        return sizes;
    }

    /// <summary>A uniformly random permutation of 0..n−1 (Fisher–Yates).</summary>
    internal static int[] Permutation(int n, Generator g)
    {
        var p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--)
        {
            int j = (int)g.NextInt64(0, i + 1);
            (p[i], p[j]) = (p[j], p[i]);
        }
        return p;
    }
}
