
namespace Backprop;

/// <summary>Views that share storage (reshape, transpose, permute, squeeze, expand) and copies, with their backward rules.</summary>
public partial class Tensor
{
    /// <summary>
    /// The same elements in a new shape (<c>torch.reshape</c>); one dimension may be −1. A view when the tensor is
    /// contiguous, otherwise a copy.
    /// </summary>
    public Tensor Reshape(ReadOnlySpan<int> newShape)
    {
        var s = ShapeUtil.InferShape(newShape, Numel, shape, "Reshape");
        return IsContiguous ? ViewAs(s, "ViewBackward") : Contiguous().ViewAs(s, "ViewBackward");
    }

    /// <summary>A view with a new shape (<c>tensor.view</c>); the tensor must be contiguous.</summary>
    public Tensor View(ReadOnlySpan<int> newShape)
    {
        var s = ShapeUtil.InferShape(newShape, Numel, shape, "View");
        if (!IsContiguous)
            throw new InvalidOperationException($"View: a non-contiguous tensor of shape {ShapeString} cannot be viewed as {ShapeUtil.Format(s)}; use Reshape(), or Contiguous().View().");
        return ViewAs(s, "ViewBackward");
    }

    /// <summary>Flattens dimensions <paramref name="startDim"/>..<paramref name="endDim"/> into one (<c>torch.flatten</c>).</summary>
    public Tensor Flatten(int startDim = 0, int endDim = -1)
    {
        if (Rank == 0) return Reshape([1]);
        int a = ShapeUtil.NormalizeDim(startDim, Rank, "Flatten"), b = ShapeUtil.NormalizeDim(endDim, Rank, "Flatten");
        var s = new List<int>();
        for (int i = 0; i < a; i++) s.Add(shape[i]);
        int m = 1;
        for (int i = a; i <= b; i++) m *= shape[i];
        s.Add(m);
        for (int i = b + 1; i < Rank; i++) s.Add(shape[i]);
        return Reshape([.. s]);
    }

    private Tensor ViewAs(int[] newShape, string name)
    {
        int[] old = shape;
        var y = AsStrided(newShape, ShapeUtil.ContiguousStrides(newShape), Offset);
        return Node.Record(y, name, [this], g => [g.Reshape(old)]);
    }

    /// <summary>Swaps two dimensions, sharing storage (<c>torch.transpose</c>); defaults to the last two (<c>x.mT</c>).</summary>
    public Tensor Transpose(int dim0 = -2, int dim1 = -1)
    {
        int a = ShapeUtil.NormalizeDim(dim0, Rank, "Transpose"), b = ShapeUtil.NormalizeDim(dim1, Rank, "Transpose");
        if (Rank < 2) return this;
        var perm = new int[Rank];
        for (int i = 0; i < Rank; i++) perm[i] = i;
        (perm[a], perm[b]) = (perm[b], perm[a]);
        return PermuteCore(perm, "TransposeBackward");
    }

    /// <summary>Reorders dimensions, sharing storage (<c>torch.permute</c>).</summary>
    public Tensor Permute(params ReadOnlySpan<int> dims)
    {
        if (dims.Length != Rank) throw new ArgumentException($"Permute: got {dims.Length} dims for a tensor with {Rank} dimensions (shape {ShapeString}).");
        var perm = new int[Rank];
        var seen = new bool[Rank];
        for (int i = 0; i < Rank; i++)
        {
            perm[i] = ShapeUtil.NormalizeDim(dims[i], Rank, "Permute");
            if (seen[perm[i]]) throw new ArgumentException($"Permute: dimension {perm[i]} appears twice in {ShapeUtil.Format(dims)}.");
            seen[perm[i]] = true;
        }
        return PermuteCore(perm, "PermuteBackward");
    }

    private Tensor PermuteCore(int[] perm, string name)
    {
        var s = new int[Rank]; var st = new int[Rank]; var inverse = new int[Rank];
        for (int i = 0; i < Rank; i++) { s[i] = shape[perm[i]]; st[i] = strides[perm[i]]; inverse[perm[i]] = i; }
        return Node.Record(AsStrided(s, st, Offset), name, [this], g => [g.Permute(inverse)]);
    }

    /// <summary>Removes every dimension of size 1 (<c>torch.squeeze</c>).</summary>
    public Tensor Squeeze()
    {
        var s = new List<int>();
        foreach (var d in shape) if (d != 1) s.Add(d);
        return Reshape([.. s]);
    }

    /// <summary>Removes <paramref name="dim"/> if its size is 1 (<c>torch.squeeze(x, dim)</c>).</summary>
    public Tensor Squeeze(int dim)
    {
        if (Rank == 0) return this;
        int d = ShapeUtil.NormalizeDim(dim, Rank, "Squeeze");
        if (shape[d] != 1) return this;
        var s = new List<int>(shape); var st = new List<int>(strides);
        s.RemoveAt(d); st.RemoveAt(d);
        int[] old = shape;
        return Node.Record(AsStrided([.. s], [.. st], Offset), "SqueezeBackward", [this], g => [g.Reshape(old)]);
    }

    /// <summary>Inserts a dimension of size 1 at <paramref name="dim"/> (<c>torch.unsqueeze</c>).</summary>
    public Tensor Unsqueeze(int dim)
    {
        int d = ShapeUtil.NormalizeDim(dim, Rank + 1, "Unsqueeze");
        var s = new List<int>(shape); var st = new List<int>(strides);
        s.Insert(d, 1);
        st.Insert(d, d < Rank ? strides[d] * shape[d] : 1);
        return Node.Record(AsStrided([.. s], [.. st], Offset), "UnsqueezeBackward", [this], g => [g.Squeeze(d)]);
    }

    /// <summary>
    /// A broadcast view with size-1 dimensions repeated to <paramref name="newShape"/> without copying (<c>tensor.expand</c>);
    /// −1 keeps a dimension. Its gradient sums over the expanded dimensions.
    /// </summary>
    public Tensor Expand(ReadOnlySpan<int> newShape)
    {
        var target = newShape.ToArray();
        int lead = target.Length - Rank;
        if (lead < 0) throw new ArgumentException($"Expand: cannot expand shape {ShapeString} to fewer dimensions {ShapeUtil.Format(target)}.");
        for (int i = 0; i < Rank; i++)
        {
            if (target[lead + i] == -1) target[lead + i] = shape[i];
            else if (shape[i] != 1 && shape[i] != target[lead + i])
                throw new ArgumentException($"Expand: shape {ShapeString} cannot be expanded to {ShapeUtil.Format(newShape)}: dimension {i} has size {shape[i]}, not 1.");
        }
        if (ShapeUtil.SameShape(target, shape)) return this;
        var st = ShapeUtil.BroadcastStrides(shape, strides, target);
        int[] old = shape; var dt = DType;
        return Node.Record(AsStrided(target, st, Offset), "ExpandBackward", [this], g => [g.SumTo(old, dt)]);
    }

    /// <summary>This tensor if it is contiguous, else a contiguous copy (<c>tensor.contiguous()</c>).</summary>
    public Tensor Contiguous() => IsContiguous ? this : Clone();

    /// <summary>A contiguous copy with its own storage (<c>tensor.clone()</c>); gradients flow back unchanged.</summary>
    public Tensor Clone() => Node.Record(CopyData(), "CloneBackward", [this], g => [g]);

    /// <summary>This tensor if contiguous, else a contiguous copy, without recording anything (for kernels).</summary>
    internal Tensor Dense() => IsContiguous ? this : CopyData();

    private Tensor CopyData()
    {
        var y = Uninitialized(shape, DType, this);
        Backends.Backend.Of(this).CopyStrided(Layout, y.Layout);
        return y;
    }
}
