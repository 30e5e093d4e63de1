using Backprop.Backends;

namespace Backprop;

public partial class Tensor
{
    /// <summary>
    /// Whether <see cref="FusedAttention"/> can take these operands: one floating dtype, the same leading (batch) dimensions
    /// for query, key and value, no empty dimension, and a mask (already additive, in the query's dtype) that needs no gradient.
    /// </summary>
    internal static bool CanFuseAttention(Tensor query, Tensor key, Tensor value, Tensor? additiveMask)
    {
        if (!query.DType.IsFloatingPoint() || key.DType != query.DType || value.DType != query.DType) return false;
        if (query.Rank < 2 || key.Rank != query.Rank || value.Rank != query.Rank || query.Numel == 0 || key.Numel == 0 || value.Numel == 0) return false;
        for (int d = 0; d < query.Rank - 2; d++)
            if (key.shape[d] != query.shape[d] || value.shape[d] != query.shape[d]) return false;
        return additiveMask is null || (!additiveMask.RequiresGrad && additiveMask.DType == query.DType && additiveMask.Rank <= query.Rank);
    }

    /// <summary>
    /// softmax(Q·Kᵀ·scale + mask)·V in one fused primitive (<see cref="IBackend.AttentionForward"/>): query [..., L, E], key
    /// [..., S, E], value [..., S, Ev] with equal leading dimensions (see <see cref="CanFuseAttention"/>); the additive mask
    /// broadcasts to [..., L, S] and is read in place; <paramref name="isCausal"/> needs no mask. Dropout with probability
    /// <paramref name="dropoutP"/> on the weights is decided by a hash of one seed drawn from <paramref name="generator"/>
    /// (else the default generator) and each weight's index. Backward is the fused <see cref="IBackend.AttentionBackward"/>,
    /// or, without dropout, the composed formula when a graph of the backward is being built (second order).
    /// </summary>
    internal static Tensor FusedAttention(Tensor query, Tensor key, Tensor value, Tensor? additiveMask, bool isCausal, double scale,
        double dropoutP = 0, Generator? generator = null)
    {
        if (dropoutP < 0 || dropoutP > 1) throw new ArgumentException($"Attention dropout probability has to be between 0 and 1, but got {dropoutP}.");
        int l = query.shape[^2], s = key.shape[^2], e = query.shape[^1], ev = value.shape[^1];
        var batchShape = query.shape[..^2];
        int b = ShapeUtil.Numel(batchShape);
        ulong seed = dropoutP > 0 ? (generator ?? Generator.Default).NextUInt64() : 0;
        var dims = new AttentionDims(b, l, s, e, ev, scale, isCausal, dropoutP, seed);
        var backend = Backend.Of("scaled_dot_product_attention", query, key, value);
        var (q, k, v) = (query.Dense(), key.Dense(), value.Dense());
        var mask = MaskView(additiveMask, batchShape, l, s);
        var output = Uninitialized([.. batchShape, l, ev], query.DType, query);
        var lse = Uninitialized([.. batchShape, l], query.DType, query);
        backend.AttentionForward(q.Layout, k.Layout, v.Layout, mask, dims, output.Layout, lse.Layout);
        return Node.Record(output, "ScaledDotProductAttentionBackward", [query, key, value], g =>
        {
            if (Autograd.IsGradEnabled)
            {
                if (dropoutP > 0)
                    throw new NotSupportedException("ScaledDotProductAttentionBackward: a double backward (createGraph) through fused attention with dropout is not supported; use dropoutP 0 (or eval mode) for higher-order gradients.");
                return ComposedAttentionBackward(query, key, value, additiveMask, isCausal, scale, g);
            }
            var go = g.Dense();
            var (gq, gk, gv) = (Uninitialized(q.shape, q.DType, q), Uninitialized(k.shape, k.DType, k), Uninitialized(v.shape, v.DType, v));
            backend.AttentionBackward(q.Layout, k.Layout, v.Layout, mask, dims, output.Layout, lse.Layout, go.Layout, gq.Layout, gk.Layout, gv.Layout);
            return [gq, gk, gv];
        }, q, k, v, output, lse);
    }

    /// <summary>The mask broadcast to [batch…, L, S] as per-slice offsets and row/column strides (no copy).</summary>
    private static AttentionMaskView MaskView(Tensor? mask, int[] batchShape, int l, int s)
    {
        if (mask is null) return default;
        var m = mask.Expand([.. batchShape, l, s]);
        int b = ShapeUtil.Numel(batchShape);
        var offsets = new int[b];
        var index = new int[batchShape.Length];
        for (int i = 0; i < b; i++)
        {
            int off = m.Offset;
            for (int d = 0; d < index.Length; d++) off += index[d] * m.strides[d];
            offsets[i] = off;
            for (int d = index.Length - 1; d >= 0; d--)
            {
                if (++index[d] < batchShape[d]) break;
                index[d] = 0;
            }
        }
        return new AttentionMaskView(m.Storage, offsets, m.strides[^2], m.strides[^1]);
    }

    /// <summary>Attention's gradients written in tensor ops, so that they can be differentiated again (createGraph).</summary>
    private static Tensor?[] ComposedAttentionBackward(Tensor q, Tensor k, Tensor v, Tensor? mask, bool isCausal, double scale, Tensor g)
    {
        var scores = q.MatMul(k.Transpose(-2, -1)) * scale;
        if (mask is not null) scores = scores + mask;
        if (isCausal)
            scores = scores.MaskedFill(Tensor.Full([q.shape[^2], k.shape[^2]], 1, DType.Int64, q).Triu(1), double.NegativeInfinity);
        var p = scores.Softmax(-1);
        var dp = g.MatMul(v.Transpose(-2, -1));
        var ds = p * (dp - (dp * p).Sum(-1, keepDim: true)) * scale;
        return [ds.MatMul(k), ds.Transpose(-2, -1).MatMul(q), p.Transpose(-2, -1).MatMul(g)];
    }
}
