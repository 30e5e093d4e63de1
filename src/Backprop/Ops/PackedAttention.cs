using Backprop.Backends;

namespace Backprop;

public partial class Tensor
{
    /// <summary>
    /// Multi-head self-attention on a packed projection, with no head split or merge copies: <paramref name="qkv"/> is
    /// [N, T, 3E] (<paramref name="batchFirst"/>) or [T, N, 3E], each row holding the query, key and value of E features
    /// (heads of E/heads features side by side, as <c>in_proj</c> produces them); the result is softmax(QKᵀ·scale +
    /// mask)·V per head, in the same layout with E features ([N, T, E] or [T, N, E]). The fused primitive
    /// (<see cref="IBackend.AttentionForward"/>) reads each head through strides and writes it into its columns of the
    /// output; backward writes dQ, dK and dV into one [.., 3E] gradient. <paramref name="additiveMask"/> broadcasts to
    /// [N, heads, T, T]. Dropout and second-order gradients as <see cref="FusedAttention"/>.
    /// </summary>
    internal static Tensor FusedSelfAttention(Tensor qkv, int heads, bool batchFirst, Tensor? additiveMask, bool isCausal, double scale,
        double dropoutP = 0, Generator? generator = null)
    {
        if (dropoutP < 0 || dropoutP > 1) throw new ArgumentException($"Attention dropout probability has to be between 0 and 1, but got {dropoutP}.");
        if (qkv.Rank != 3 || qkv.shape[2] % (3 * heads) != 0)
            throw new ArgumentException($"FusedSelfAttention: expected a packed projection [N, T, 3E] or [T, N, 3E] with E divisible by {heads} heads, got shape {qkv.ShapeString}.");
        int a0 = qkv.shape[0], a1 = qkv.shape[1], e = qkv.shape[2] / 3, dh = e / heads;
        int n = batchFirst ? a0 : a1, t = batchFirst ? a1 : a0;
        ulong seed = dropoutP > 0 ? (generator ?? Generator.Default).NextUInt64() : 0;
        var dims = new AttentionDims(n * heads, t, t, dh, dh, scale, isCausal, dropoutP, seed);
        var backend = Backend.Of("scaled_dot_product_attention", qkv);
        var x = qkv.Dense();
        var mask = MaskView(additiveMask, [n, heads], t, t);
        var output = Uninitialized([a0, a1, e], qkv.DType, qkv);
        var lse = Uninitialized([n, heads, t], qkv.DType, qkv);
        Tensor Heads(Tensor packed, int part) => HeadView(packed, part * e, heads, dh, batchFirst);
        backend.AttentionForward(Heads(x, 0).Layout, Heads(x, 1).Layout, Heads(x, 2).Layout, mask, dims, Heads(output, 0).Layout, lse.Layout);
        return Node.Record(output, "ScaledDotProductAttentionBackward", [qkv], g =>
        {
            if (Autograd.IsGradEnabled)
            {
                if (dropoutP > 0)
                    throw new NotSupportedException("ScaledDotProductAttentionBackward: a double backward (createGraph) through fused attention with dropout is not supported; use dropoutP 0 (or eval mode) for higher-order gradients.");
                return [ComposedSelfAttentionBackward(qkv, heads, batchFirst, additiveMask, isCausal, scale, g)];
            }
            var go = g.Dense();
            var grad = Uninitialized(x.shape, x.DType, x);
            backend.AttentionBackward(Heads(x, 0).Layout, Heads(x, 1).Layout, Heads(x, 2).Layout, mask, dims, Heads(output, 0).Layout, lse.Layout,
                Heads(go, 0).Layout, Heads(grad, 0).Layout, Heads(grad, 1).Layout, Heads(grad, 2).Layout);
            return [grad];
        }, x, output, lse);
    }

    /// <summary>
    /// The heads [N, heads, T, <paramref name="headDim"/>] of a contiguous [N, T, W] (batchFirst) or [T, N, W] tensor
    /// whose rows hold them side by side from column <paramref name="column"/> on: a strided view, no copy.
    /// </summary>
    private static Tensor HeadView(Tensor packed, int column, int heads, int headDim, bool batchFirst)
    {
        int a0 = packed.shape[0], a1 = packed.shape[1], w = packed.shape[2];
        int[] strides = batchFirst ? [a1 * w, headDim, w, 1] : [w, headDim, a1 * w, 1];
        return packed.AsStrided(batchFirst ? [a0, heads, a1, headDim] : [a1, heads, a0, headDim], strides, packed.Offset + column);
    }

    /// <summary>
    /// The packed projection's gradient in tensor ops (so it can be differentiated again): the heads as differentiable
    /// views, attention's composed gradients, and dQ, dK, dV joined back into [.., 3E].
    /// </summary>
    private static Tensor ComposedSelfAttentionBackward(Tensor qkv, int heads, bool batchFirst, Tensor? mask, bool isCausal, double scale, Tensor g)
    {
        int a0 = qkv.shape[0], a1 = qkv.shape[1], e = qkv.shape[2] / 3, dh = e / heads;
        int[] split = batchFirst ? [0, 2, 1, 3] : [1, 2, 0, 3], join = batchFirst ? [0, 2, 1, 3] : [2, 0, 1, 3];
        var parts = qkv.Reshape([a0, a1, 3, heads, dh]);
        var grads = ComposedAttentionBackward(parts.Select(2, 0).Permute(split), parts.Select(2, 1).Permute(split), parts.Select(2, 2).Permute(split),
            mask, isCausal, scale, g.Reshape([a0, a1, heads, dh]).Permute(split));
        return Cat([.. grads.Select(gr => gr!.Permute(join).Reshape([a0, a1, e]))], -1);
    }
}
