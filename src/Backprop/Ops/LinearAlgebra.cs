
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

    /// <summary>
    /// x·Wᵀ + b, the affine map of a fully connected layer (<c>torch.nn.functional.linear</c>). For a 2-D input it is one
    /// fused GEMM that reads Wᵀ through strides (no transposed copy) into an output pre-filled with the bias; an input of
    /// more dimensions is folded to 2-D first.
    /// </summary>
    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias = null)
    {
        var dtype = input.DType;
        bool fused = input.Rank == 2 && weight.Rank == 2 && dtype.IsFloatingPoint() && weight.DType == dtype
            && (bias is null || (bias.Rank == 1 && bias.DType == dtype && bias.shape[0] == weight.shape[0]));
        if (!fused && input.Rank > 2 && weight.Rank == 2 && dtype.IsFloatingPoint() && weight.DType == dtype && input.shape[^1] == weight.shape[1]
            && (bias is null || (bias.Rank == 1 && bias.DType == dtype && bias.shape[0] == weight.shape[0])))
        {
            // [..., k] as one [rows, k] GEMM (a view when the leading dimensions merge), as PyTorch folds them: the weight's
            // gradient is then one product instead of a per-batch product summed over the batch.
            int[] outShape = [.. input.shape[..^1], weight.shape[0]];
            return Linear(input.Reshape([-1, input.shape[^1]]), weight, bias).Reshape(outShape);
        }
        if (!fused)
        {
            var r = input.MatMul(weight.Transpose());
            return bias is null ? r : r + bias;
        }
        int n = input.shape[0], k = input.shape[1], m = weight.shape[0];
        if (weight.shape[1] != k)
            throw new ArgumentException($"Linear: input of shape {input.ShapeString} needs a weight with {k} columns, got weight of shape {weight.ShapeString} (expected [out_features, {k}]).");
        var y = Uninitialized([n, m], dtype, input);
        var backend = Backends.Backend.Of("Linear", input, weight);
        if (bias is not null)
        {
            var b = bias.Dense();
            Backends.Backend.Of("Linear", input, b).FillRows(b.Layout, y.Layout);
        }
        // y (+)= x·Wᵀ: W is read through swapped strides.
        backend.Gemm(dtype, new(input.Storage, input.Offset, input.strides[0], input.strides[1]), new(weight.Storage, weight.Offset, weight.strides[1], weight.strides[0]),
            new(y.Storage, 0, m, 1), n, k, m, bias is not null);
        return Node.Record(y, bias is null ? "MmBackward" : "AddmmBackward", bias is null ? [input, weight] : [input, weight, bias], g =>
        [
            input.RequiresGrad ? g.MatMul(weight) : null,
            weight.RequiresGrad ? g.Transpose().MatMul(input) : null,
            .. bias is null ? System.Array.Empty<Tensor?>() : [g.Sum(0)],
        ], input, weight);
    }

    /// <summary>One [n,k]·[k,m] product of a batch: operands at the given offsets, read through their last two strides.</summary>
    private static void BatchEntry(Tensor a, int oa, Tensor b, int ob, Tensor y, int oy, int n, int k, int m) =>
        Backends.Backend.Of("MatMul", a, b).Gemm(y.DType, new(a.Storage, oa, a.strides[^2], a.strides[^1]), new(b.Storage, ob, b.strides[^2], b.strides[^1]),
            new(y.Storage, oy, m, 1), n, k, m, accumulate: false);

    private ArgumentException MismatchError(Tensor other) => new(
        $"MatMul: shapes {ShapeString} and {other.ShapeString} cannot be multiplied: the inner dimensions " +
        $"{shape[^1]} and {(other.Rank == 1 ? other.shape[0] : other.shape[^2])} must be equal.");

    private static Tensor BatchedMatMul(Tensor a, Tensor b)
    {
        int n = a.shape[^2], k = a.shape[^1], m = b.shape[^1];
        if (b.shape[^2] != k) throw a.MismatchError(b);
        var dtype = DTypeExtensions.Promote(a.DType, b.DType);
        if (!dtype.IsFloatingPoint()) throw NotFloat("MatMul", dtype);
        if (a.Rank == 2 && b.Rank == 2 && a.DType == dtype && b.DType == dtype)
        {
            // Plain matrices: straight to the GEMM through their strides (the common case, kept free of bookkeeping).
            var y2 = Uninitialized([n, m], dtype, a);
            BatchEntry(a, a.Offset, b, b.Offset, y2, 0, n, k, m);
            return RecordMm(y2, a, b);
        }
        var batch = ShapeUtil.Broadcast(a.shape.AsSpan(0, a.Rank - 2), b.shape.AsSpan(0, b.Rank - 2), "MatMul (batch dimensions)");
        var ad = a.Detach().To(dtype).Expand([.. batch, n, k]);
        var bd = b.Detach().To(dtype).Expand([.. batch, k, m]);
        var y = Uninitialized([.. batch, n, m], dtype, a);
        int count = ShapeUtil.Numel(batch);
        var index = new int[batch.Length];
        for (int i = 0; i < count; i++)
        {
            // Offsets of this batch entry in each operand (stride 0 along broadcast batch dimensions): no copies.
            int oa = ad.Offset, ob = bd.Offset;
            for (int d = 0; d < batch.Length; d++) { oa += index[d] * ad.strides[d]; ob += index[d] * bd.strides[d]; }
            BatchEntry(ad, oa, bd, ob, y, i * n * m, n, k, m);
            for (int d = batch.Length - 1; d >= 0; d--)
            {
                if (++index[d] < batch[d]) break;
                index[d] = 0;
            }
        }
        return RecordMm(y, a, b);
    }

    private static Tensor RecordMm(Tensor y, Tensor a, Tensor b) =>
        Node.Record(y, "MmBackward", [a, b], g =>
        [
            a.RequiresGrad ? g.MatMul(b.Transpose()).SumTo(a.shape, a.DType) : null,
            b.RequiresGrad ? a.Transpose().MatMul(g).SumTo(b.shape, b.DType) : null,
        ], a, b);
}
