using Backprop.Kernels;

namespace Backprop;

/// <summary>Matrix products with PyTorch's <c>matmul</c> rules, and the affine map of a linear layer.</summary>
public partial class Tensor
{
    /// <summary>
    /// Matrix product with <c>torch.matmul</c>'s rules: vector·vector is a dot product, a 1-D operand is treated as a
    /// row (left) or column (right) vector and that dimension removed afterwards, and leading batch dimensions broadcast.
    /// </summary>
    public Tensor MatMul(Tensor other)
    {
        if (Rank == 0 || other.Rank == 0)
            throw new ArgumentException($"MatMul: both arguments need at least 1 dimension, got shapes {ShapeString} and {other.ShapeString}.");
        if (Rank == 1 && other.Rank == 1)
        {
            if (shape[0] != other.shape[0]) throw MismatchError(other);
            return Unsqueeze(0).MatMul(other.Unsqueeze(1)).Reshape([]);
        }
        if (Rank == 1) return Unsqueeze(0).MatMul(other).Squeeze(-2);
        if (other.Rank == 1) return MatMul(other.Unsqueeze(1)).Squeeze(-1);
        return BatchedMatMul(this, other);
    }

    /// <summary>x·Wᵀ + b, the affine map of a fully connected layer (<c>torch.nn.functional.linear</c>).</summary>
    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias = null)
    {
        var y = input.MatMul(weight.Transpose());
        return bias is null ? y : y + bias;
    }

    private ArgumentException MismatchError(Tensor other) => new(
        $"MatMul: shapes {ShapeString} and {other.ShapeString} cannot be multiplied: the inner dimensions " +
        $"{shape[^1]} and {(other.Rank == 1 ? other.shape[0] : other.shape[^2])} must be equal.");

    private static Tensor BatchedMatMul(Tensor a, Tensor b)
    {
        int n = a.shape[^2], k = a.shape[^1], m = b.shape[^1];
        if (b.shape[^2] != k) throw a.MismatchError(b);
        var batch = ShapeUtil.Broadcast(a.shape.AsSpan(0, a.Rank - 2), b.shape.AsSpan(0, b.Rank - 2), "MatMul (batch dimensions)");
        var dtype = DTypeExtensions.Promote(a.DType, b.DType);
        if (!dtype.IsFloatingPoint()) throw NotFloat("MatMul", dtype);
        var ad = a.Detach().To(dtype).Expand([.. batch, n, k]).Dense();
        var bd = b.Detach().To(dtype).Expand([.. batch, k, m]).Dense();
        var y = Empty([.. batch, n, m], dtype);
        int count = ShapeUtil.Numel(batch);
        for (int i = 0; i < count; i++)
        {
            if (dtype == DType.Float32)
                GemmKernel.Multiply(ad.Array<float>(), ad.Offset + i * n * k, bd.Array<float>(), bd.Offset + i * k * m, y.Array<float>(), i * n * m, n, k, m);
            else
                GemmKernel.Multiply(ad.Array<double>(), ad.Offset + i * n * k, bd.Array<double>(), bd.Offset + i * k * m, y.Array<double>(), i * n * m, n, k, m);
        }
        return Node.Record(y, "MmBackward", [a, b], g =>
        [
            a.RequiresGrad ? g.MatMul(b.Transpose()).SumTo(a.shape, a.DType) : null,
            b.RequiresGrad ? a.Transpose().MatMul(g).SumTo(b.shape, b.DType) : null,
        ], a, b);
    }
}
