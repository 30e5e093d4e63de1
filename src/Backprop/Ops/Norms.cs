namespace Backprop;

/// <summary>Mean, variance and standard deviation over several dims, and vector norms (issue #11), composed of existing ops.</summary>
public partial class Tensor
{
    /// <summary>Mean over several dimensions (<c>torch.mean(x, dims, keepdim)</c>).</summary>
    public Tensor Mean(ReadOnlySpan<int> dims, bool keepDim = false)
    {
        if (!DType.IsFloatingPoint()) throw NotFloat("Mean", DType);
        return Sum(dims, keepDim) / CountOver(dims, "Mean");
    }

    /// <summary>
    /// Variance over several dimensions with <paramref name="correction"/> subtracted from the count
    /// (<c>torch.var(x, dims, correction=1, keepdim)</c>; correction 0 is the biased variance, unbiased=False).
    /// </summary>
    public Tensor Var(ReadOnlySpan<int> dims, double correction = 1, bool keepDim = false)
    {
        var centered = this - Mean(dims, keepDim: true);
        return (centered * centered).Sum(dims, keepDim) / Math.Max(0, CountOver(dims, "Var") - correction);
    }

    /// <summary>Standard deviation over several dimensions (<c>torch.std(x, dims, correction, keepdim)</c>).</summary>
    public Tensor Std(ReadOnlySpan<int> dims, double correction = 1, bool keepDim = false) => Var(dims, correction, keepDim).Sqrt();

    /// <summary>
    /// The vector p-norm of all elements (<c>torch.norm(x, p)</c> / <c>torch.linalg.vector_norm</c>): p = 2 (also the
    /// Frobenius norm of a matrix), 1, <see cref="double.PositiveInfinity"/> (largest |x|), or any other p &gt; 0.
    /// </summary>
    public Tensor Norm(double p = 2) => Rank == 0 ? Reshape([1]).Norm(p, [0]) : Norm(p, [.. Enumerable.Range(0, Rank)]);

    /// <summary>
    /// The vector p-norm over <paramref name="dims"/> (<c>torch.norm(x, p, dim, keepdim)</c>). Gradients follow PyTorch:
    /// 0 at a zero vector for p = 2; for p = ∞ shared evenly among the elements of largest magnitude.
    /// </summary>
    public Tensor Norm(double p, ReadOnlySpan<int> dims, bool keepDim = false)
    {
        if (!DType.IsFloatingPoint()) throw NotFloat("Norm", DType);
        if (!(p > 0)) throw new ArgumentException($"Norm: p must be positive, got {p}.");
        if (p == 1) return Abs().Sum(dims, keepDim);
        if (p == 2) return TwoNorm(dims.ToArray(), keepDim);
        if (double.IsPositiveInfinity(p)) return InfinityNorm(dims.ToArray(), keepDim);
        return Abs().Pow(p).Sum(dims, keepDim).Pow(1 / p);
    }

    /// <summary>The Frobenius norm √Σx² over <paramref name="dims"/>, all if none (<c>torch.norm(x, p='fro', dim)</c>).</summary>
    public Tensor FrobeniusNorm(ReadOnlySpan<int> dims = default, bool keepDim = false) => dims.IsEmpty ? Norm(2) : Norm(2, dims, keepDim);

    /// <summary>√Σx², one node whose gradient x/‖x‖ is masked to 0 where the norm is 0 (PyTorch's rule).</summary>
    private Tensor TwoNorm(int[] dims, bool keepDim)
    {
        Tensor y;
        using (Autograd.NoGrad()) y = (this * this).Sum(dims, keepDim).Sqrt();
        return Node.Record(y, "NormBackward", [this], g =>
        {
            var yk = KeepDims(y, dims, keepDim);
            var safe = Where(yk.Eq(ScalarLike(0, yk)), OnesLike(yk), yk);
            return [Where(yk.Eq(ScalarLike(0, yk)), Full([], 0, DType, this), this * (KeepDims(g, dims, keepDim) / safe))];
        }, this, y);
    }

    /// <summary>max |x|, one node whose gradient sign(x)·g is shared evenly among ties (PyTorch's amax rule).</summary>
    private Tensor InfinityNorm(int[] dims, bool keepDim)
    {
        Tensor y;
        using (Autograd.NoGrad()) y = AMax(Abs(), dims, keepDim);
        return Node.Record(y, "NormBackward", [this], g =>
        {
            var hits = Abs().Eq(KeepDims(y, dims, keepDim).Detach());
            var share = hits / hits.Sum(dims, keepDim: true);
            return [Sign() * share * KeepDims(g, dims, keepDim)];
        }, this, y);
    }

    /// <summary>Largest value over several dims (no autograd needed: used on detached data).</summary>
    private static Tensor AMax(Tensor x, int[] dims, bool keepDim)
    {
        var ds = dims.Select(d => ShapeUtil.NormalizeDim(d, x.Rank, "Norm")).Distinct().OrderBy(d => d).ToArray();
        var y = x;
        for (int i = ds.Length - 1; i >= 0; i--) y = y.Max(ds[i], keepDim: true);
        return keepDim ? y : y.Reshape(ReducedShapeOver(x.shape, ds));
    }

    /// <summary>Re-inserts reduced dims as size 1 so a reduced tensor broadcasts against the input.</summary>
    private Tensor KeepDims(Tensor reduced, int[] dims, bool keepDim)
    {
        if (keepDim) return reduced;
        var full = (int[])shape.Clone();
        foreach (var d in dims) full[ShapeUtil.NormalizeDim(d, Rank, "Norm")] = 1;
        return reduced.Reshape(full);
    }

    private static int[] ReducedShapeOver(int[] shape, int[] sortedDims) =>
        shape.Where((_, i) => System.Array.IndexOf(sortedDims, i) < 0).ToArray();

    private int CountOver(ReadOnlySpan<int> dims, string op)
    {
        int n = 1;
        var seen = new HashSet<int>();
        foreach (var d in dims)
        {
            int nd = ShapeUtil.NormalizeDim(d, Rank, op);
            if (!seen.Add(nd)) throw new ArgumentException($"{op}: dimension {nd} appears twice in {ShapeUtil.Format(dims)}.");
            n *= shape[nd];
        }
        return n;
    }
}
