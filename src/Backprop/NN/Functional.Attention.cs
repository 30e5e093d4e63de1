namespace Backprop.NN;

public static partial class Functional
{
    /// <summary>
    /// softmax(Q·Kᵀ·scale + mask)·V (<c>torch.nn.functional.scaled_dot_product_attention</c>, PyTorch 2's semantics):
    /// query [..., L, E], key [..., S, E], value [..., S, Ev] give [..., L, Ev]; <paramref name="scale"/> defaults to 1/√E.
    /// <paramref name="attnMask"/>, broadcastable to [..., L, S], is boolean when it has an integer dtype (Int64, 0/1 — a
    /// nonzero entry means "takes part in attention", as PyTorch's True) and additive when it is floating point.
    /// <paramref name="isCausal"/> lets query i attend to keys 0..i only (the top-left aligned lower triangle, as PyTorch)
    /// and excludes <paramref name="attnMask"/>. Dropout with probability <paramref name="dropoutP"/> is applied to the
    /// attention weights (always, as in PyTorch: pass 0 in evaluation). A row with every key masked gives NaN, as in PyTorch.
    /// With query, key and value sharing their leading dimensions and a mask that needs no gradient, it runs as one fused
    /// primitive (softmax in the same pass over the keys, the weights never stored, no mask built for
    /// <paramref name="isCausal"/>, dropout decided by a hash of one seed from <paramref name="generator"/> and each weight's
    /// index); otherwise it is composed from MatMul, Softmax and Dropout. The fused node has no double backward with dropout.
    /// </summary>
    public static Tensor ScaledDotProductAttention(Tensor query, Tensor key, Tensor value, Tensor? attnMask = null, double dropoutP = 0,
        bool isCausal = false, double? scale = null, Generator? generator = null)
    {
        const string op = "ScaledDotProductAttention";
        if (isCausal && attnMask is not null)
            throw new ArgumentException($"{op}: an explicit attnMask (shape {attnMask.ShapeString}) cannot be combined with isCausal=true.");
        CheckAttentionShapes(op, query, key, value);
        Tensor? mask = null;
        if (attnMask is not null) mask = AttentionMask(op, attnMask, query, key, nonzeroAttends: true);
        if (Tensor.CanFuseAttention(query, key, value, mask))
            return Tensor.FusedAttention(query, key, value, mask, isCausal, scale ?? 1 / Math.Sqrt(query.Size(-1)), dropoutP, generator);
        if (isCausal) mask = AttentionMask(op, CausalMask(query.Size(-2), key.Size(-2)), query, key, nonzeroAttends: true);
        return Attention(query, key, value, mask, dropoutP, scale, generator).Output;
    }

    /// <summary>The attention core: returns the output and the (post-dropout) attention weights [..., L, S].</summary>
    internal static (Tensor Output, Tensor Weights) Attention(Tensor query, Tensor key, Tensor value, Tensor? additiveMask, double dropoutP,
        double? scale, Generator? generator)
    {
        if (dropoutP < 0 || dropoutP > 1) throw new ArgumentException($"Attention dropout probability has to be between 0 and 1, but got {dropoutP}.");
        var scores = query.MatMul(key.Transpose(-2, -1)) * (scale ?? 1 / Math.Sqrt(query.Size(-1)));
        if (additiveMask is not null) scores = scores + additiveMask;
        var weights = scores.Softmax(-1);
        if (dropoutP > 0) weights = Dropout(weights, dropoutP, true, generator);
        return (weights.MatMul(value), weights);
    }

    private static void CheckAttentionShapes(string op, Tensor query, Tensor key, Tensor value)
    {
        if (query.Rank < 2 || key.Rank < 2 || value.Rank < 2)
            throw new ArgumentException($"{op}: query, key and value need at least 2 dimensions [..., L, E], got shapes {query.ShapeString}, {key.ShapeString} and {value.ShapeString}.");
        if (query.Size(-1) != key.Size(-1))
            throw new ArgumentException($"{op}: query of shape {query.ShapeString} and key of shape {key.ShapeString} must have the same last dimension (embedding size).");
        if (key.Size(-2) != value.Size(-2))
            throw new ArgumentException($"{op}: key of shape {key.ShapeString} and value of shape {value.ShapeString} must have the same sequence length (dimension -2).");
    }

    /// <summary>
    /// The mask as an additive float tensor in the query's dtype: a floating mask is used as is, an integer mask becomes 0
    /// where it allows attention and −∞ where not (<paramref name="nonzeroAttends"/> says which its nonzero entries mean).
    /// Its last two dimensions must broadcast to [L, S].
    /// </summary>
    internal static Tensor AttentionMask(string op, Tensor mask, Tensor query, Tensor key, bool nonzeroAttends)
    {
        int l = query.Size(-2), s = key.Size(-2);
        bool fits = mask.Rank >= 1 && (mask.Size(-1) == s || mask.Size(-1) == 1) && (mask.Rank < 2 || mask.Size(-2) == l || mask.Size(-2) == 1);
        if (!fits)
            throw new ArgumentException($"{op}: attention mask of shape {mask.ShapeString} does not fit the attention scores [..., {l}, {s}] of query {query.ShapeString} and key {key.ShapeString}.");
        var dtype = query.DType;
        mask = mask.To(query.Storage.Allocator); // a causal mask is built in host memory
        if (mask.DType.IsFloatingPoint()) return mask.To(dtype);
        var zero = Tensor.Scalar(0, dtype);
        var minusInf = Tensor.Scalar(double.NegativeInfinity, dtype);
        return nonzeroAttends ? Tensor.Where(mask, zero, minusInf) : Tensor.Where(mask, minusInf, zero);
    }

    /// <summary>A boolean (Int64 0/1) [L, S] mask allowing query i to attend to keys j ≤ i.</summary>
    internal static Tensor CausalMask(int l, int s)
    {
        var m = new long[l * s];
        for (int i = 0; i < l; i++)
            for (int j = 0; j <= i && j < s; j++) m[i * s + j] = 1;
        return Tensor.FromArray(m, [l, s]);
    }
}
