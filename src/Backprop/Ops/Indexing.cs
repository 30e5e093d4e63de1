using Backprop.Backends;

namespace Backprop;

/// <summary>Index-driven ops (index_select, gather, scatter, cat, stack, split, masked_select) with their backward rules.</summary>
public partial class Tensor
{
    /// <summary>The entries at <paramref name="index"/> (1-D Int64) along <paramref name="dim"/> (<c>torch.index_select</c>).</summary>
    public Tensor IndexSelect(int dim, Tensor index)
    {
        int d = ShapeUtil.NormalizeDim(dim, Rank, "IndexSelect");
        CheckIndex(index, "IndexSelect");
        if (index.Rank > 1) throw new ArgumentException($"IndexSelect: index must be 1-D, got shape {index.ShapeString}.");
        var x = Dense();
        var (outer, size, inner) = ShapeUtil.AroundDim(shape, d);
        var outShape = Rank == 0 ? [] : (int[])shape.Clone();
        if (Rank > 0) outShape[d] = index.Numel;
        var y = Uninitialized(outShape, DType, this); // every element is copied below
        var ix = index.Dense();
        int bound = Rank == 0 ? 1 : shape[d];
        Checked(() => Backend.Of("IndexSelect", x, ix).IndexSelect(x.Layout, outer, size, inner, ix.Layout, y.Layout), "IndexSelect", d, bound);
        int[] s = shape; var dt = DType;
        return Node.Record(y, "IndexSelectBackward", [this], g => [Full(s, 0, dt, g).IndexAdd(d, index, g)], index);
    }

    /// <summary>A copy of this tensor with <paramref name="source"/>'s slices added at <paramref name="index"/> along <paramref name="dim"/> (<c>torch.index_add</c>).</summary>
    public Tensor IndexAdd(int dim, Tensor index, Tensor source)
    {
        int d = ShapeUtil.NormalizeDim(dim, Rank, "IndexAdd");
        CheckIndex(index, "IndexAdd");
        var y = Detach().CopyData();
        var src = source.Detach().To(DType).Dense();
        var (outer, size, inner) = ShapeUtil.AroundDim(shape, d);
        if (src.Numel != outer * index.Numel * inner)
            throw new ArgumentException($"IndexAdd: source of shape {source.ShapeString} does not match {index.Numel} indices into dimension {d} of shape {ShapeString}.");
        var ix = index.Dense();
        Checked(() => Backend.Of("IndexAdd", y, ix, src).IndexAdd(y.Layout, outer, size, inner, ix.Layout, src.Layout), "IndexAdd", d, shape[d]);
        return Node.Record(y, "IndexAddBackward", [this, source], g => [g, g.IndexSelect(d, index).To(source.DType)], index);
    }

    /// <summary>Values picked along <paramref name="dim"/> by an Int64 index of the same rank: out[i][j] = x[i][index[i][j]] for dim 1 (<c>torch.gather</c>).</summary>
    public Tensor Gather(int dim, Tensor index)
    {
        int d = ShapeUtil.NormalizeDim(dim, Rank, "Gather");
        CheckScatterShapes(index, null, d, "Gather");
        CheckIndex(index, "Gather");
        var x = Dense();
        var y = Empty(index.shape, DType, this);
        RunScatter(ScatterKind.Gather, x, y, index, d, shape[d]);
        int[] s = shape; var dt = DType;
        return Node.Record(y, "GatherBackward", [this], g => [Full(s, 0, dt, g).ScatterAdd(d, index, g)], index);
    }

    /// <summary>A copy with <paramref name="source"/>'s values written at index positions along <paramref name="dim"/> (<c>torch.scatter</c>).</summary>
    public Tensor Scatter(int dim, Tensor index, Tensor source) => ScatterCore(dim, index, source, add: false);

    /// <summary>A copy with <paramref name="source"/>'s values added at index positions along <paramref name="dim"/> (<c>torch.scatter_add</c>).</summary>
    public Tensor ScatterAdd(int dim, Tensor index, Tensor source) => ScatterCore(dim, index, source, add: true);

    private Tensor ScatterCore(int dim, Tensor index, Tensor source, bool add)
    {
        string op = add ? "ScatterAdd" : "Scatter";
        int d = ShapeUtil.NormalizeDim(dim, Rank, op);
        CheckScatterShapes(index, source, d, op);
        CheckIndex(index, op);
        var y = Detach().CopyData();
        RunScatter(add ? ScatterKind.ScatterAdd : ScatterKind.Scatter, y, source.Detach().To(DType).Dense(), index, d, shape[d]);
        var srcShape = source.shape;
        return Node.Record(y, add ? "ScatterAddBackward" : "ScatterBackward", [this, source], g =>
        {
            var toSelf = add ? g : g.Scatter(d, index, ZerosLike(source).To(g.DType));
            var toSource = g.Gather(d, index);
            if (!ShapeUtil.SameShape(index.shape, srcShape)) toSource = EmbedInto(toSource, srcShape, z => NarrowTo(z, index.shape));
            return [toSelf, toSource.To(source.DType)];
        }, index);
    }

    private static Tensor NarrowTo(Tensor z, int[] target)
    {
        for (int i = 0; i < target.Length; i++) z = z.Slice(i, 0, target[i]);
        return z;
    }

    private static void RunScatter(ScatterKind kind, Tensor self, Tensor other, Tensor index, int dim, int size)
    {
        var ix = index.Dense();
        string op = kind switch { ScatterKind.Gather => "Gather", ScatterKind.Scatter => "Scatter", _ => "ScatterAdd" };
        Checked(() => Backend.Of(op, self, other, ix).Scatter(kind, self.Layout, other.Layout, ix.Layout, dim), op, dim, size);
    }

    private void CheckScatterShapes(Tensor index, Tensor? source, int dim, string op)
    {
        if (index.Rank != Rank) throw new ArgumentException($"{op}: index has {index.Rank} dimensions (shape {index.ShapeString}) but the input has {Rank} (shape {ShapeString}); they must match.");
        for (int i = 0; i < Rank; i++)
        {
            if (i != dim && index.shape[i] > shape[i])
                throw new ArgumentException($"{op}: index shape {index.ShapeString} is larger than input shape {ShapeString} in dimension {i}.");
            if (source is not null && index.shape[i] > source.shape[i])
                throw new ArgumentException($"{op}: index shape {index.ShapeString} is larger than source shape {source.ShapeString} in dimension {i}.");
        }
    }

    private static void CheckIndex(Tensor index, string op)
    {
        if (index.DType != DType.Int64) throw new ArgumentException($"{op}: index must be an Int64 tensor, got {index.DType}.");
    }

    /// <summary>Runs an index-driven primitive, which validates the indices as it reads them, and words its range error for <paramref name="op"/>.</summary>
    private static void Checked(Action primitive, string op, int dim, int size)
    {
        try { primitive(); }
        catch (IndexRangeException e)
        {
            throw new IndexOutOfRangeException($"{op}: index {e.Value} is out of bounds for dimension {dim} with size {size}.", e);
        }
    }

    /// <summary>Joins tensors of equal shape except in <paramref name="dim"/> (<c>torch.cat</c>).</summary>
    public static Tensor Cat(IReadOnlyList<Tensor> tensors, int dim = 0)
    {
        if (tensors.Count == 0) throw new ArgumentException("Cat: expected a non-empty list of tensors.");
        var first = tensors[0];
        int d = ShapeUtil.NormalizeDim(dim, first.Rank, "Cat");
        var dtype = first.DType;
        int total = 0;
        foreach (var t in tensors)
        {
            if (t.Rank != first.Rank) throw new ArgumentException($"Cat: tensors must have the same number of dimensions, got {first.ShapeString} and {t.ShapeString}.");
            for (int i = 0; i < t.Rank; i++)
                if (i != d && t.shape[i] != first.shape[i])
                    throw new ArgumentException($"Cat: sizes must match except in dimension {d}: got {first.ShapeString} and {t.ShapeString} (dimension {i}).");
            total += t.shape[d];
            dtype = DTypeExtensions.Promote(dtype, t.DType);
        }
        var outShape = (int[])first.shape.Clone();
        outShape[d] = total;
        var y = Empty(outShape, dtype, first);
        var sizes = new int[tensors.Count];
        int at = 0;
        for (int k = 0; k < tensors.Count; k++)
        {
            sizes[k] = tensors[k].shape[d];
            y.Slice(d, at, at + sizes[k]).CopyFrom(tensors[k]);
            at += sizes[k];
        }
        y.Storage.Version = 0;
        var inputs = tensors.ToArray();
        return Node.Record(y, "CatBackward", inputs, g =>
        {
            var grads = new Tensor?[inputs.Length];
            int off = 0;
            for (int k = 0; k < inputs.Length; k++) { grads[k] = g.Slice(d, off, off + sizes[k]).To(inputs[k].DType); off += sizes[k]; }
            return grads;
        });
    }

    /// <summary>Stacks tensors of equal shape along a new dimension (<c>torch.stack</c>).</summary>
    public static Tensor Stack(IReadOnlyList<Tensor> tensors, int dim = 0)
    {
        if (tensors.Count == 0) throw new ArgumentException("Stack: expected a non-empty list of tensors.");
        foreach (var t in tensors)
            if (!ShapeUtil.SameShape(t.shape, tensors[0].shape))
                throw new ArgumentException($"Stack: all tensors must have the same shape, got {tensors[0].ShapeString} and {t.ShapeString}.");
        int d = ShapeUtil.NormalizeDim(dim, tensors[0].Rank + 1, "Stack");
        var parts = new Tensor[tensors.Count];
        for (int i = 0; i < parts.Length; i++) parts[i] = tensors[i].Unsqueeze(d);
        return Cat(parts, d);
    }

    /// <summary>Views of consecutive pieces of <paramref name="splitSize"/> along <paramref name="dim"/>; the last may be smaller (<c>torch.split</c>).</summary>
    public Tensor[] Split(int splitSize, int dim = 0)
    {
        if (splitSize <= 0) throw new ArgumentException($"Split: splitSize must be positive, got {splitSize}.");
        int d = ShapeUtil.NormalizeDim(dim, Rank, "Split");
        var parts = new List<Tensor>();
        for (int s = 0; s < shape[d]; s += splitSize) parts.Add(Slice(d, s, Math.Min(s + splitSize, shape[d])));
        return [.. parts];
    }

    /// <summary>At most <paramref name="chunks"/> views of near-equal size along <paramref name="dim"/> (<c>torch.chunk</c>).</summary>
    public Tensor[] Chunk(int chunks, int dim = 0)
    {
        if (chunks <= 0) throw new ArgumentException($"Chunk: chunks must be positive, got {chunks}.");
        int d = ShapeUtil.NormalizeDim(dim, Rank, "Chunk");
        return Split(Math.Max(1, (shape[d] + chunks - 1) / chunks), d);
    }

    /// <summary>The elements where <paramref name="mask"/> (broadcast) is nonzero, as a 1-D tensor (<c>torch.masked_select</c>).</summary>
    public Tensor MaskedSelect(Tensor mask)
    {
        var outShape = ShapeUtil.Broadcast(shape, mask.shape, "MaskedSelect");
        var m = mask.Expand(outShape).ToArray<double>();
        var positions = new List<long>();
        for (int i = 0; i < m.Length; i++) if (m[i] != 0) positions.Add(i);
        return Expand(outShape).Reshape([-1]).IndexSelect(0, FromArray(positions.ToArray()).To(Storage.Allocator));
    }
}
