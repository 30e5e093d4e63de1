namespace Backprop;

/// <summary>Masks and triangles (issue #11): compositions of <see cref="Where(Tensor, Tensor, Tensor)"/> and index ops.</summary>
public partial class Tensor
{
    /// <summary>
    /// A copy with <paramref name="value"/> written where <paramref name="mask"/> (broadcast; any dtype, nonzero = true)
    /// is set (<c>tensor.masked_fill</c>). The gradient passes only where the mask is zero.
    /// </summary>
    public Tensor MaskedFill(Tensor mask, double value)
    {
        if (!ShapeUtil.SameShape(ShapeUtil.Broadcast(shape, mask.shape, "MaskedFill"), shape))
            throw new ArgumentException($"MaskedFill: mask of shape {mask.ShapeString} must broadcast to the input's shape {ShapeString} without growing it.");
        return Where(mask, ScalarLike(value, this).To(DType), this);
    }

    /// <summary>
    /// The lower triangle of the last two dimensions: elements with column − row ≤ <paramref name="diagonal"/> are kept,
    /// the rest set to 0 (<c>torch.tril</c>).
    /// </summary>
    public Tensor Tril(int diagonal = 0) => Triangle(diagonal, lower: true);

    /// <summary>The upper triangle: elements with column − row ≥ <paramref name="diagonal"/> are kept (<c>torch.triu</c>).</summary>
    public Tensor Triu(int diagonal = 0) => Triangle(diagonal, lower: false);

    private Tensor Triangle(int diagonal, bool lower)
    {
        string op = lower ? "Tril" : "Triu";
        if (Rank < 2) throw new ArgumentException($"{op}: input must have at least 2 dimensions, got shape {ShapeString}.");
        int rows = shape[^2], cols = shape[^1];
        var offset = Arange(cols).Unsqueeze(0) - Arange(rows).Unsqueeze(1); // column − row
        var keep = (lower ? offset <= diagonal : offset >= diagonal).To(Storage.Allocator); // built in host memory
        return Where(keep, this, Full([], 0, DType, this));
    }

    /// <summary>
    /// One-hot encoding of Int64 class indices (<c>torch.nn.functional.one_hot</c>): a new last dimension of
    /// <paramref name="numClasses"/> (−1: the largest index + 1) with a 1 at each index, as Int64.
    /// </summary>
    public static Tensor OneHot(Tensor indices, int numClasses = -1)
    {
        if (indices.DType != DType.Int64) throw new ArgumentException($"OneHot: indices must be Int64, got {indices.DType}.");
        var idx = indices.ToArray<long>();
        if (numClasses < 0) numClasses = idx.Length == 0 ? 0 : (int)idx.Max() + 1;
        foreach (var i in idx)
            if (i < 0 || i >= numClasses)
                throw new ArgumentException($"OneHot: class index {i} is out of range for {numClasses} classes (input shape {indices.ShapeString}).");
        var flat = Full([idx.Length, numClasses], 0, DType.Int64, indices)
            .Scatter(1, indices.Reshape([-1, 1]), Full([idx.Length, 1], 1, DType.Int64, indices));
        return flat.Reshape([.. indices.shape, numClasses]);
    }
}
