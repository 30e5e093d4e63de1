using static Backprop.NewKernelsBridge;

namespace Backprop;

/// <summary>Cumulative sum and products (issue #11), each forward next to its backward rule.</summary>
public partial class Tensor
{
    /// <summary>
    /// Running sum along <paramref name="dim"/> (<c>torch.cumsum</c>); Int64 stays Int64. Its gradient is the reversed
    /// running sum of the incoming gradient, written with CumSum and Flip, so higher orders work.
    /// </summary>
    public Tensor CumSum(int dim)
    {
        if (Rank == 0) return Clone();
        int d = ShapeUtil.NormalizeDim(dim, Rank, "CumSum");
        return Node.Record(NewKernelsBridge.CumSum(this, d), "CumSumBackward", [this], g => [g.Flip(d).CumSum(d).Flip(d)]);
    }

    /// <summary>Product of all elements as a 0-d tensor (<c>torch.prod</c>).</summary>
    public Tensor Prod() => Rank == 0 ? Clone() : Reshape([-1]).Prod(0);

    /// <summary>
    /// Product along <paramref name="dim"/> (<c>torch.prod(x, dim, keepdim)</c>). The gradient is the product of the other
    /// elements: g·prod/x when no element is zero, else computed without dividing (exactly as PyTorch handles one or more
    /// zeros), so zeros get their true gradient.
    /// </summary>
    public Tensor Prod(int dim, bool keepDim = false)
    {
        if (Rank == 0) return Clone();
        int d = ShapeUtil.NormalizeDim(dim, Rank, "Prod");
        var kept = NewKernelsBridge.Prod(this, d);
        var y = keepDim ? kept : kept.Detach().Squeeze(d);
        return Node.Record(y, "ProdBackward", [this], g =>
        {
            var gk = keepDim ? g : g.Unsqueeze(d);
            bool anyZero;
            using (Autograd.NoGrad()) anyZero = Eq(ScalarLike(0, this)).Sum().Item() != 0;
            if (!anyZero) return [gk * (keepDim ? y : y.Unsqueeze(d)) / this];
            return [gk * ProductOfOthers(d)];
        }, this, y);
    }

    /// <summary>
    /// For each element, the product of the other elements along <paramref name="d"/>: an [.., n, n, ..] copy with the
    /// diagonal set to 1, multiplied along its last new axis. O(n²) per line, used only when the line holds a zero.
    /// </summary>
    private Tensor ProductOfOthers(int d)
    {
        int n = shape[d];
        var wide = Unsqueeze(d).Expand([.. shape[..d], n, .. shape[d..]]); // wide[.., i, j, ..] = x[.., j, ..]
        var eyeShape = Enumerable.Repeat(1, Rank + 1).ToArray();
        eyeShape[d] = n; eyeShape[d + 1] = n;
        var eye = Eye(n, dtype: DType).Reshape(eyeShape);
        return Where(eye, OnesLike(eye), wide).Prod(d + 1);
    }
}
