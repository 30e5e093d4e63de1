using System.Numerics.Tensors;

namespace Backprop;

/// <summary>Reductions over all elements or one dimension, each forward next to its backward rule.</summary>
public partial class Tensor
{
    /// <summary>Sum of all elements as a 0-d tensor (<c>torch.sum</c>).</summary>
    public Tensor Sum()
    {
        int[] s = shape;
        return Node.Record(SumAll(), "SumBackward", [this], g => [g.Expand(s)]);
    }

    /// <summary>Sum along <paramref name="dim"/> (<c>torch.sum(x, dim, keepdim)</c>).</summary>
    public Tensor Sum(int dim, bool keepDim = false)
    {
        int d = ShapeUtil.NormalizeDim(dim, Rank, "Sum");
        int[] s = shape;
        var y = SumDim(d, keepDim);
        return Node.Record(y, "SumBackward", [this], g => [(keepDim ? g : g.Unsqueeze(d)).Expand(s)]);
    }

    /// <summary>Sum over several dimensions (<c>torch.sum(x, dims, keepdim)</c>).</summary>
    public Tensor Sum(ReadOnlySpan<int> dims, bool keepDim = false)
    {
        var ds = new int[dims.Length];
        for (int i = 0; i < ds.Length; i++) ds[i] = ShapeUtil.NormalizeDim(dims[i], Rank, "Sum");
        System.Array.Sort(ds);
        var y = this;
        for (int i = ds.Length - 1; i >= 0; i--) y = y.Sum(ds[i], keepDim: true);
        if (keepDim) return y;
        var kept = new List<int>();
        for (int i = 0; i < Rank; i++) if (System.Array.IndexOf(ds, i) < 0) kept.Add(shape[i]);
        return y.Reshape([.. kept]);
    }

    /// <summary>Mean of all elements (<c>torch.mean</c>).</summary>
    public Tensor Mean()
    {
        if (!DType.IsFloatingPoint()) throw NotFloat("Mean", DType);
        int[] s = shape; int n = Numel;
        return Node.Record(SumAll().DivideRaw(n), "MeanBackward", [this], g => [g.Expand(s) / n]);
    }

    /// <summary>Mean along <paramref name="dim"/> (<c>torch.mean(x, dim, keepdim)</c>).</summary>
    public Tensor Mean(int dim, bool keepDim = false)
    {
        if (!DType.IsFloatingPoint()) throw NotFloat("Mean", DType);
        int d = ShapeUtil.NormalizeDim(dim, Rank, "Mean");
        int[] s = shape; int n = Rank == 0 ? 1 : shape[d];
        var y = SumDim(d, keepDim).DivideRaw(n);
        return Node.Record(y, "MeanBackward", [this], g => [(keepDim ? g : g.Unsqueeze(d)).Expand(s) / n]);
    }

    /// <summary>Largest element (<c>torch.max(x)</c>); ties share the gradient evenly, as in PyTorch.</summary>
    public Tensor Max() => ExtremeAll(max: true);

    /// <summary>Smallest element (<c>torch.min(x)</c>).</summary>
    public Tensor Min() => ExtremeAll(max: false);

    /// <summary>Largest values along <paramref name="dim"/> (<c>torch.max(x, dim).values</c>); the gradient goes to the first maximum.</summary>
    public Tensor Max(int dim, bool keepDim = false) => ExtremeDim(dim, keepDim, max: true);

    /// <summary>Smallest values along <paramref name="dim"/> (<c>torch.min(x, dim).values</c>).</summary>
    public Tensor Min(int dim, bool keepDim = false) => ExtremeDim(dim, keepDim, max: false);

    /// <summary>Index of the largest element of the flattened tensor, as a 0-d Int64 tensor (<c>torch.argmax</c>).</summary>
    public Tensor ArgMax() => Reshape([-1]).Extreme(0, false, max: true).Indices;

    /// <summary>Index of the smallest element of the flattened tensor (<c>torch.argmin</c>).</summary>
    public Tensor ArgMin() => Reshape([-1]).Extreme(0, false, max: false).Indices;

    /// <summary>Indices of the largest values along <paramref name="dim"/> as Int64 (<c>torch.argmax(x, dim)</c>).</summary>
    public Tensor ArgMax(int dim, bool keepDim = false) => Extreme(ShapeUtil.NormalizeDim(dim, Rank, "ArgMax"), keepDim, max: true).Indices;

    /// <summary>Indices of the smallest values along <paramref name="dim"/> (<c>torch.argmin(x, dim)</c>).</summary>
    public Tensor ArgMin(int dim, bool keepDim = false) => Extreme(ShapeUtil.NormalizeDim(dim, Rank, "ArgMin"), keepDim, max: false).Indices;

    /// <summary>Variance of all elements with Bessel's correction by default (<c>torch.var(x, correction=1)</c>).</summary>
    public Tensor Var(double correction = 1)
    {
        var centered = this - Mean();
        return (centered * centered).Sum() / Math.Max(0, Numel - correction);
    }

    /// <summary>Variance along <paramref name="dim"/> (<c>torch.var(x, dim, correction, keepdim)</c>).</summary>
    public Tensor Var(int dim, double correction = 1, bool keepDim = false)
    {
        var centered = this - Mean(dim, keepDim: true);
        return (centered * centered).Sum(dim, keepDim) / Math.Max(0, Size(dim) - correction);
    }

    /// <summary>Standard deviation of all elements (<c>torch.std</c>).</summary>
    public Tensor Std(double correction = 1) => Var(correction).Sqrt();

    /// <summary>Standard deviation along <paramref name="dim"/> (<c>torch.std(x, dim)</c>).</summary>
    public Tensor Std(int dim, double correction = 1, bool keepDim = false) => Var(dim, correction, keepDim).Sqrt();

    /// <summary>log Σ exp(x) along <paramref name="dim"/>, computed stably (<c>torch.logsumexp</c>).</summary>
    public Tensor LogSumExp(int dim, bool keepDim = false)
    {
        var m = Max(dim, keepDim: true).Detach();
        m = Where(m.Abs().Eq(double.PositiveInfinity), ZerosLike(m), m);
        var r = (this - m).Exp().Sum(dim, keepDim: true).Log() + m;
        return keepDim ? r : r.Squeeze(dim);
    }

    private Tensor ExtremeAll(bool max)
    {
        if (Numel == 0) throw new InvalidOperationException($"{(max ? "Max" : "Min")}(): the tensor is empty; give a dim or check the input.");
        var y = Reshape([-1]).Extreme(0, false, max).Values;
        return Node.Record(y, max ? "MaxBackward" : "MinBackward", [this], g =>
        {
            var hits = Eq(y);
            return [hits * (g / hits.Sum())];
        }, this, y);
    }

    private Tensor ExtremeDim(int dim, bool keepDim, bool max)
    {
        int d = ShapeUtil.NormalizeDim(dim, Rank, max ? "Max" : "Min");
        var (values, indices) = Extreme(d, keepDim, max);
        int[] s = shape; var dt = DType;
        return Node.Record(values, max ? "MaxBackward" : "MinBackward", [this], g =>
        {
            var gk = keepDim ? g : g.Unsqueeze(d);
            var ik = keepDim ? indices : indices.Unsqueeze(d);
            return [Full(s, 0, dt, gk).ScatterAdd(d, ik, gk)];
        }, indices);
    }

    private (Tensor Values, Tensor Indices) Extreme(int dim, bool keepDim, bool max)
    {
        var x = Dense();
        var (outer, size, inner) = ShapeUtil.AroundDim(shape, dim);
        if (size == 0) throw new InvalidOperationException($"{(max ? "Max" : "Min")}: dimension {dim} of shape {ShapeString} is empty.");
        var outShape = ReducedShape(dim, keepDim);
        var values = Empty(outShape, DType, this);
        var indices = Empty(outShape, DType.Int64, this);
        Backends.Backend.Of(x).MaxMin(x.Layout, outer, size, inner, values.Layout, indices.Layout, max);
        return (values, indices);
    }

    private Tensor SumAll()
    {
        var x = Dense();
        var y = Empty([], DType, this);
        Backends.Backend.Of(x).SumAll(x.Layout, y.Layout);
        return y;
    }

    private Tensor SumDim(int dim, bool keepDim)
    {
        var x = Dense();
        var (outer, size, inner) = ShapeUtil.AroundDim(shape, dim);
        var y = Empty(ReducedShape(dim, keepDim), DType, this);
        Backends.Backend.Of(x).Sum(x.Layout, outer, size, inner, y.Layout);
        return y;
    }

    private int[] ReducedShape(int dim, bool keepDim)
    {
        if (Rank == 0) return [];
        if (keepDim)
        {
            var kept = (int[])shape.Clone();
            kept[dim] = 1;
            return kept;
        }
        var s = new int[Rank - 1];
        for (int i = 0, j = 0; i < Rank; i++) if (i != dim) s[j++] = shape[i];
        return s;
    }

    /// <summary>Divides a fresh tensor's values in place by a count (no autograd).</summary>
    private Tensor DivideRaw(int n)
    {
        Backends.Backend.Of(this).DivideInPlace(Layout, n);
        return this;
    }
}
