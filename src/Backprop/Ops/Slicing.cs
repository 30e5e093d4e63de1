namespace Backprop;

/// <summary>Views selecting part of a tensor (narrow, slice, select, the indexer), with their backward rules.</summary>
public partial class Tensor
{
    /// <summary>Elements <paramref name="start"/>..start+length−1 along <paramref name="dim"/>, sharing storage (<c>torch.narrow</c>).</summary>
    public Tensor Narrow(int dim, int start, int length)
    {
        int d = ShapeUtil.NormalizeDim(dim, Rank, "Narrow");
        if (start < 0) start += shape[d];
        if (start < 0 || length < 0 || start + length > shape[d])
            throw new ArgumentOutOfRangeException(nameof(start), $"Narrow: start {start} and length {length} do not fit dimension {d} of shape {ShapeString}.");
        return Slice(d, start, start + length);
    }

    /// <summary>
    /// Python-style slice <c>x[..., start:end:step, ...]</c> along <paramref name="dim"/>, sharing storage. Negative
    /// indices count from the end and out-of-range bounds are clamped, as in Python.
    /// </summary>
    public Tensor Slice(int dim, int? start = null, int? end = null, int step = 1)
    {
        int d = ShapeUtil.NormalizeDim(dim, Rank, "Slice");
        if (step <= 0) throw new ArgumentException($"Slice: step must be positive, got {step}.");
        int n = shape[d];
        int s = Math.Clamp(start is int a ? (a < 0 ? a + n : a) : 0, 0, n);
        int e = Math.Clamp(end is int b ? (b < 0 ? b + n : b) : n, s, n);
        var ns = (int[])shape.Clone(); var nst = (int[])strides.Clone();
        ns[d] = (e - s + step - 1) / step;
        nst[d] = strides[d] * step;
        var y = AsStrided(ns, nst, Offset + s * strides[d]);
        int[] full = shape;
        return Node.Record(y, "SliceBackward", [this], g => [EmbedInto(g, full, z => z.Slice(d, s, e, step))]);
    }

    /// <summary>The slice at <paramref name="index"/> along <paramref name="dim"/>, with that dimension removed (<c>torch.select</c>).</summary>
    public Tensor Select(int dim, int index)
    {
        int d = ShapeUtil.NormalizeDim(dim, Rank, "Select");
        int i = index < 0 ? index + shape[d] : index;
        if (i < 0 || i >= shape[d])
            throw new IndexOutOfRangeException($"Select: index {index} is out of bounds for dimension {d} with size {shape[d]} (shape {ShapeString}).");
        var ns = new List<int>(shape); var nst = new List<int>(strides);
        ns.RemoveAt(d); nst.RemoveAt(d);
        var y = AsStrided([.. ns], [.. nst], Offset + i * strides[d]);
        int[] full = shape;
        return Node.Record(y, "SelectBackward", [this], g => [EmbedInto(g, full, z => z.Select(d, i))]);
    }

    /// <summary><c>x[i]</c>: the sub-tensor at index <paramref name="i"/> of the first dimension.</summary>
    [System.Runtime.CompilerServices.IndexerName("At")]
    public Tensor this[int i] => Select(0, i);

    /// <summary><c>x[i, j, ...]</c>: selects along the leading dimensions.</summary>
    [System.Runtime.CompilerServices.IndexerName("At")]
    public Tensor this[int i, params int[] rest]
    {
        get
        {
            var t = Select(0, i);
            foreach (var r in rest) t = t.Select(0, r);
            return t;
        }
    }

    /// <summary>
    /// Zeros of <paramref name="fullShape"/> with <paramref name="g"/> written into the region <paramref name="region"/> selects:
    /// the backward of a view. Its own backward reads that region back, so higher-order gradients work.
    /// </summary>
    internal static Tensor EmbedInto(Tensor g, int[] fullShape, Func<Tensor, Tensor> region)
    {
        var z = Full(fullShape, 0, g.DType, g);
        using (Autograd.NoGrad()) region(z).CopyFrom(g);
        return Node.Record(z, "EmbedBackward", [g], gg => [region(gg)]);
    }
}
