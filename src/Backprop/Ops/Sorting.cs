namespace Backprop;

/// <summary>Sorting, top-k and max/min with their indices (issue #11), each forward next to its backward rule.</summary>
public partial class Tensor
{
    /// <summary>
    /// Sorts along <paramref name="dim"/>, stably: equal values keep their original order in both directions, and NaN
    /// sorts above every number (<c>torch.sort(x, dim, descending, stable=True)</c>). Returns the sorted values and their
    /// Int64 positions in the input; the values' gradient is scattered back to those positions.
    /// </summary>
    public (Tensor Values, Tensor Indices) Sort(int dim = -1, bool descending = false)
    {
        if (Rank == 0) return (Clone(), Full([], 0, DType.Int64, this));
        int d = ShapeUtil.NormalizeDim(dim, Rank, "Sort");
        var (values, indices) = NewKernelsBridge.Sort(this, d, descending);
        return (ScatteredBack(values, indices, d, "SortBackward"), indices);
    }

    /// <summary>The positions that sort the tensor along <paramref name="dim"/>, stably (<c>torch.argsort(stable=True)</c>).</summary>
    public Tensor ArgSort(int dim = -1, bool descending = false) => Sort(dim, descending).Indices;

    /// <summary>
    /// The <paramref name="k"/> largest (or smallest) values along <paramref name="dim"/> and their positions
    /// (<c>torch.topk</c>), in sorted order; ties keep their original order.
    /// </summary>
    public (Tensor Values, Tensor Indices) TopK(int k, int dim = -1, bool largest = true)
    {
        int d = ShapeUtil.NormalizeDim(dim, Math.Max(Rank, 1), "TopK");
        int n = Rank == 0 ? 1 : shape[d];
        if (k < 0 || k > n) throw new ArgumentOutOfRangeException(nameof(k), $"TopK: k = {k} is out of range for dimension {d} of size {n} (shape {ShapeString}).");
        if (Rank == 0) return Sort(d, largest);
        var (values, indices) = NewKernelsBridge.Sort(this, d, descending: largest);
        values = values.Narrow(d, 0, k).Contiguous();
        indices = indices.Narrow(d, 0, k).Contiguous();
        return (ScatteredBack(values, indices, d, "TopKBackward"), indices);
    }

    /// <summary>Largest values along <paramref name="dim"/> together with their (first) positions (<c>torch.max(x, dim)</c>).</summary>
    public (Tensor Values, Tensor Indices) MaxWithIndices(int dim, bool keepDim = false) => (Max(dim, keepDim), ArgMax(dim, keepDim));

    /// <summary>Smallest values along <paramref name="dim"/> together with their (first) positions (<c>torch.min(x, dim)</c>).</summary>
    public (Tensor Values, Tensor Indices) MinWithIndices(int dim, bool keepDim = false) => (Min(dim, keepDim), ArgMin(dim, keepDim));

    /// <summary>Records values taken from this tensor at <paramref name="indices"/> along <paramref name="d"/>.</summary>
    private Tensor ScatteredBack(Tensor values, Tensor indices, int d, string name)
    {
        int[] s = shape; var dt = DType;
        return Node.Record(values, name, [this], g => [Full(s, 0, dt, g).ScatterAdd(d, indices, g)], indices);
    }
}
