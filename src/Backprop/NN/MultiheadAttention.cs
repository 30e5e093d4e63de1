namespace Backprop.NN;

/// <summary>
/// Multi-head attention (<c>torch.nn.MultiheadAttention</c>, with kdim = vdim = embedDim and no bias_k/bias_v/add_zero_attn):
/// the query, key and value are projected by <c>in_proj_weight</c> [3E, E] / <c>in_proj_bias</c> [3E], split into
/// <c>numHeads</c> heads of E/numHeads features, attended to with softmax(QKᵀ/√(E/heads) + mask)·V, and joined through
/// <c>out_proj</c> (a <see cref="Linear"/>). Initialisation as PyTorch: Xavier-uniform in_proj_weight, zero biases.
/// Masks follow <c>nn.MultiheadAttention</c>, which is the opposite of <see cref="Functional.ScaledDotProductAttention"/>:
/// a nonzero entry of an integer (Int64 0/1) mask means "masked out"; a floating mask is added to the scores.
/// </summary>
public sealed class MultiheadAttention : Module
{
    private readonly Parameter[] inProj; // weight (, bias): registered under PyTorch's names, not found as fields
    private readonly Linear[] outProj;
    private readonly Generator dropoutGenerator;

    /// <summary>Creates the layer; <paramref name="generator"/> seeds the initialisation, <paramref name="dropoutSeed"/> the attention dropout.</summary>
    public MultiheadAttention(int embedDim, int numHeads, double dropout = 0, bool bias = true, bool batchFirst = false,
        Generator? generator = null, DType dtype = DType.Float32, long dropoutSeed = 0)
    {
        if (embedDim <= 0 || numHeads <= 0)
            throw new ArgumentException($"MultiheadAttention: embedDim and numHeads must be positive, got embedDim={embedDim}, numHeads={numHeads}.");
        if (embedDim % numHeads != 0)
            throw new ArgumentException($"MultiheadAttention: embedDim ({embedDim}) must be divisible by numHeads ({numHeads}).");
        if (dropout < 0 || dropout > 1) throw new ArgumentException($"MultiheadAttention: dropout has to be between 0 and 1, but got {dropout}.");
        EmbedDim = embedDim; NumHeads = numHeads; DropoutP = dropout; BatchFirst = batchFirst;
        dropoutGenerator = new Generator(dropoutSeed);
        var w = new Parameter(Tensor.Zeros([3 * embedDim, embedDim], dtype));
        Init.XavierUniform(w, generator: generator);
        inProj = bias ? [w, new Parameter(Tensor.Zeros([3 * embedDim], dtype))] : [w];
        RegisterParameter("in_proj_weight", w);
        if (bias) RegisterParameter("in_proj_bias", inProj[1]);
        outProj = [new Linear(embedDim, embedDim, bias, generator, dtype)];
        if (outProj[0].Bias is { } b) Init.Zeros(b);
        RegisterModule("out_proj", outProj[0]);
    }

    /// <summary>Model width E (<c>embed_dim</c>).</summary>
    public int EmbedDim { get; }
    /// <summary>Number of heads (<c>num_heads</c>).</summary>
    public int NumHeads { get; }
    /// <summary>Features per head, E / numHeads (<c>head_dim</c>).</summary>
    public int HeadDim => EmbedDim / NumHeads;
    /// <summary>Dropout probability on the attention weights in training mode (<c>dropout</c>).</summary>
    public double DropoutP { get; }
    /// <summary>Inputs and output are [N, L, E] instead of [L, N, E] (<c>batch_first</c>).</summary>
    public bool BatchFirst { get; }
    /// <summary>The stacked query/key/value projection [3E, E] (<c>in_proj_weight</c>).</summary>
    public Parameter InProjWeight => inProj[0];
    /// <summary>The stacked projection bias [3E] (<c>in_proj_bias</c>), or null without bias.</summary>
    public Parameter? InProjBias => inProj.Length > 1 ? inProj[1] : null;
    /// <summary>The output projection (<c>out_proj</c>).</summary>
    public Linear OutProj => outProj[0];

    /// <summary>Self-attention of <paramref name="input"/> without masks, returning the output only.</summary>
    public override Tensor Forward(Tensor input) => Forward(input, input, input, needWeights: false).Output;

    /// <summary>
    /// (attn_output, attn_output_weights) as <c>MultiheadAttention.forward</c>. query [L, N, E], key and value [S, N, E]
    /// ([N, L, E] with batchFirst; unbatched [L, E]); <paramref name="keyPaddingMask"/> [N, S] ([S] unbatched);
    /// <paramref name="attnMask"/> [L, S] or [N·heads, L, S]. The weights are [N, L, S] averaged over the heads, or
    /// [N, heads, L, S] when <paramref name="averageAttnWeights"/> is false, and null when <paramref name="needWeights"/> is false.
    /// <paramref name="isCausal"/> (PyTorch 2's <c>is_causal</c>) with no <paramref name="attnMask"/> lets query i attend to
    /// keys 0..i without building a mask (PyTorch requires the mask; here it may be left out); with a mask, the mask is used.
    /// </summary>
    public (Tensor Output, Tensor? Weights) Forward(Tensor query, Tensor key, Tensor value, Tensor? keyPaddingMask = null,
        bool needWeights = true, Tensor? attnMask = null, bool averageAttnWeights = true, bool isCausal = false)
    {
        const string op = "MultiheadAttention";
        if (query.Rank != 2 && query.Rank != 3)
            throw new ArgumentException($"{op}: expected query of 2 (unbatched [L, {EmbedDim}]) or 3 dimensions, got shape {query.ShapeString}.");
        if (key.Rank != query.Rank || value.Rank != query.Rank)
            throw new ArgumentException($"{op}: query, key and value must have the same number of dimensions, got shapes {query.ShapeString}, {key.ShapeString} and {value.ShapeString}.");
        foreach (var (t, name) in new[] { (query, "query"), (key, "key"), (value, "value") })
            if (t.Size(-1) != EmbedDim)
                throw new ArgumentException($"{op}: {name} of shape {t.ShapeString} has {t.Size(-1)} features, expected embed_dim={EmbedDim}.");
        bool batched = query.Rank == 3;
        var (q, k, v) = batched && BatchFirst ? (query.Transpose(0, 1), key.Transpose(0, 1), value.Transpose(0, 1))
            : batched ? (query, key, value) : (query.Unsqueeze(1), key.Unsqueeze(1), value.Unsqueeze(1)); // [L|S, N, E]
        if (k.Size(0) != v.Size(0) || k.Size(1) != v.Size(1) || q.Size(1) != k.Size(1))
            throw new ArgumentException($"{op}: key of shape {key.ShapeString} and value of shape {value.ShapeString} must match, and share the batch size of query {query.ShapeString}.");
        int l = q.Size(0), s = k.Size(0), n = q.Size(1);
        // self-attention: one projection [.., 3E] of the input in its own layout, the heads strided views of it
        bool self = ReferenceEquals(query, key) && ReferenceEquals(key, value);
        bool batchFirst = batched && BatchFirst;
        var packed = self ? Tensor.Linear(batched ? query : q, InProjWeight, InProjBias) : null;
        Tensor qh, kh, vh;
        if (packed is not null) (qh, kh, vh) = (PackedHeads(packed, 0, batchFirst), PackedHeads(packed, 1, batchFirst), PackedHeads(packed, 2, batchFirst));
        else
        {
            var w = InProjWeight.Chunk(3, 0);
            var b = InProjBias?.Chunk(3, 0);
            (qh, kh, vh) = (Heads(Tensor.Linear(q, w[0], b?[0]), l, n), Heads(Tensor.Linear(k, w[1], b?[1]), s, n), Heads(Tensor.Linear(v, w[2], b?[2]), s, n));
        }
        var mask = CombinedMask(op, attnMask, keyPaddingMask, batched, qh, kh, n);
        bool causal = isCausal && attnMask is null;
        double dropout = IsTraining ? DropoutP : 0;
        Tensor o, weights = null!;
        if (packed is not null && !needWeights && Tensor.CanFuseAttention(qh, kh, vh, mask)) // heads read and written in place
        {
            var joined = OutProj.Forward(Tensor.FusedSelfAttention(packed, NumHeads, batchFirst, mask, causal, 1 / Math.Sqrt(HeadDim), dropout, dropoutGenerator));
            return (batched ? joined : joined.Squeeze(1), null);
        }
        if (!needWeights && Tensor.CanFuseAttention(qh, kh, vh, mask)) // the weights are not asked for: never stored
            o = Tensor.FusedAttention(qh, kh, vh, mask, causal, 1 / Math.Sqrt(HeadDim), dropout, dropoutGenerator);
        else
        {
            if (causal)
            {
                var causalMask = Functional.AttentionMask(op, Functional.CausalMask(l, s), qh, kh, nonzeroAttends: true);
                mask = mask is null ? causalMask : mask + causalMask;
            }
            (o, weights) = Functional.Attention(qh, kh, vh, mask, dropout, null, dropoutGenerator);
        }
        var output = OutProj.Forward(o.Permute(2, 0, 1, 3).Reshape([l, n, EmbedDim])); // [L, N, E]
        output = !batched ? output.Squeeze(1) : BatchFirst ? output.Transpose(0, 1) : output;
        if (!needWeights) return (output, null);
        var wOut = averageAttnWeights ? weights.Mean(1) : weights;
        return (output, batched ? wOut : wOut.Squeeze(0));
    }

    /// <summary>Part 0, 1 or 2 (query, key, value) of a packed [N, T, 3E] (batchFirst) or [T, N, 3E] projection as [N, heads, T, E/heads] views.</summary>
    private Tensor PackedHeads(Tensor packed, int part, bool batchFirst)
    {
        var heads = packed.Reshape([packed.Size(0), packed.Size(1), 3, NumHeads, HeadDim]).Select(2, part);
        return batchFirst ? heads.Permute(0, 2, 1, 3) : heads.Permute(1, 2, 0, 3);
    }

    /// <summary>[T, N, E] → [N, heads, T, E/heads].</summary>
    private Tensor Heads(Tensor x, int steps, int batch) => x.Reshape([steps, batch, NumHeads, HeadDim]).Permute(1, 2, 0, 3);

    private Tensor? CombinedMask(string op, Tensor? attnMask, Tensor? keyPaddingMask, bool batched, Tensor qh, Tensor kh, int n)
    {
        int l = qh.Size(-2), s = kh.Size(-2);
        Tensor? mask = null;
        if (attnMask is not null)
        {
            bool ok = attnMask.Shape.SequenceEqual(new[] { l, s }) || attnMask.Shape.SequenceEqual(new[] { n * NumHeads, l, s });
            if (!ok)
                throw new ArgumentException($"{op}: attnMask of shape {attnMask.ShapeString} should be [{l}, {s}] or [{n * NumHeads}, {l}, {s}] (batch·heads, L, S).");
            var m = Functional.AttentionMask(op, attnMask, qh, kh, nonzeroAttends: false);
            mask = m.Rank == 3 ? m.Reshape([n, NumHeads, l, s]) : m;
        }
        if (keyPaddingMask is not null)
        {
            int[] expected = batched ? [n, s] : [s];
            if (!keyPaddingMask.Shape.SequenceEqual(expected))
                throw new ArgumentException($"{op}: keyPaddingMask of shape {keyPaddingMask.ShapeString} should be {ShapeUtil.Format(expected)} (batch, source length).");
            var m = Functional.AttentionMask(op, keyPaddingMask.Reshape([n, 1, 1, s]), qh, kh, nonzeroAttends: false);
            mask = mask is null ? m : mask + m;
        }
        return mask;
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"embed_dim={EmbedDim}, num_heads={NumHeads}";
}
