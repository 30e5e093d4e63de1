namespace Backprop;

/// <summary>Repeat, flip and roll (issue #11): compositions of views, IndexSelect and copies, so their gradients come for free.</summary>
public partial class Tensor
{
    /// <summary>
    /// Tiles the tensor <paramref name="repeats"/>[i] times along each dimension (<c>tensor.repeat</c>); more repeats than
    /// dimensions add leading dimensions. The gradient sums the tiles.
    /// </summary>
    public Tensor Repeat(params int[] repeats)
    {
        if (repeats.Length < Rank)
            throw new ArgumentException($"Repeat: {repeats.Length} repeats for a tensor of shape {ShapeString}; give at least one per dimension ({Rank}).");
        foreach (var r in repeats) if (r < 0) throw new ArgumentException($"Repeat: repeats must be non-negative, got {ShapeUtil.Format(repeats)}.");
        int lead = repeats.Length - Rank;
        var interleaved = new int[2 * repeats.Length];
        var expanded = new int[2 * repeats.Length];
        var result = new int[repeats.Length];
        for (int i = 0; i < repeats.Length; i++)
        {
            int size = i < lead ? 1 : shape[i - lead];
            interleaved[2 * i] = 1; interleaved[2 * i + 1] = size;
            expanded[2 * i] = repeats[i]; expanded[2 * i + 1] = size;
            result[i] = repeats[i] * size;
        }
        return Reshape(interleaved).Expand(expanded).Reshape(result);
    }

    /// <summary>Reverses the order of elements along each of <paramref name="dims"/> (<c>torch.flip</c>); a copy, as in PyTorch.</summary>
    public Tensor Flip(params int[] dims)
    {
        var y = this;
        foreach (var dim in dims.Select(x => ShapeUtil.NormalizeDim(x, Rank, "Flip")).Distinct())
            y = y.IndexSelect(dim, Arange(shape[dim] - 1, -1, -1).To(Storage.Allocator));
        return ReferenceEquals(y, this) ? Clone() : y;
    }

    /// <summary>
    /// Shifts elements along <paramref name="dim"/> by <paramref name="shifts"/>, wrapping around (<c>torch.roll</c>);
    /// without a dim the flattened tensor is rolled and the shape restored.
    /// </summary>
    public Tensor Roll(int shifts, int? dim = null)
    {
        if (dim is null) return Reshape([-1]).Roll(shifts, 0).Reshape(shape);
        int d = ShapeUtil.NormalizeDim(dim.Value, Rank, "Roll");
        int n = shape[d];
        if (n == 0) return Clone();
        int s = ((shifts % n) + n) % n;
        var index = new long[n];
        for (int i = 0; i < n; i++) index[i] = (i - s + n) % n; // y[i] = x[i - shift]
        return IndexSelect(d, FromArray(index).To(Storage.Allocator));
    }

    /// <summary>Rolls along several dimensions at once (<c>torch.roll(x, shifts, dims)</c>).</summary>
    public Tensor Roll(int[] shifts, int[] dims)
    {
        if (shifts.Length != dims.Length)
            throw new ArgumentException($"Roll: {shifts.Length} shifts for {dims.Length} dims; give one shift per dim.");
        var y = this;
        for (int i = 0; i < dims.Length; i++) y = y.Roll(shifts[i], dims[i]);
        return y;
    }
}
