namespace Backprop.NN;

/// <summary>
/// One Transformer encoder block (<c>torch.nn.TransformerEncoderLayer</c>): self-attention and a feed-forward network
/// (linear1 → activation → dropout → linear2), each with dropout, a residual connection and a LayerNorm — after the
/// residual (post-norm, the default) or before the sublayer with <c>normFirst</c>. Parameters carry PyTorch's names
/// (<c>self_attn.in_proj_weight</c>, <c>self_attn.out_proj.weight</c>, <c>linear1.weight</c>, <c>linear2.bias</c>,
/// <c>norm1.weight</c>, <c>norm2.bias</c>, …), so a PyTorch layer's state dict loads with <see cref="Module.LoadStateDict"/>.
/// </summary>
public sealed class TransformerEncoderLayer : TransformerLayerBase
{
    private const string Op = "TransformerEncoderLayer";

    /// <summary>
    /// Creates the layer with PyTorch's arguments and defaults; <paramref name="activation"/> is "relu" or "gelu" (exact erf form).
    /// <paramref name="generator"/> seeds the initialisation (else the default generator).
    /// </summary>
    public TransformerEncoderLayer(int dModel, int nhead, int dimFeedforward = 2048, double dropout = 0.1, string activation = "relu",
        double layerNormEps = 1e-5, bool batchFirst = false, bool normFirst = false, bool bias = true, Generator? generator = null,
        DType dtype = DType.Float32)
        : base(Op, 1, dModel, nhead, dimFeedforward, dropout, Transformer.Activation(Op, activation), activation, layerNormEps, batchFirst, normFirst, bias, generator, dtype) { }

    /// <summary>Creates the layer with a custom activation function (PyTorch's callable <c>activation</c>).</summary>
    public TransformerEncoderLayer(int dModel, int nhead, int dimFeedforward, double dropout, Func<Tensor, Tensor> activation,
        double layerNormEps = 1e-5, bool batchFirst = false, bool normFirst = false, bool bias = true, Generator? generator = null,
        DType dtype = DType.Float32)
        : this(dModel, nhead, dimFeedforward, dropout, activation ?? throw new ArgumentNullException(nameof(activation)), "custom",
            layerNormEps, batchFirst, normFirst, bias, generator, dtype) { }

    private TransformerEncoderLayer(int dModel, int nhead, int dimFeedforward, double dropout, Func<Tensor, Tensor> activation, string activationName,
        double layerNormEps, bool batchFirst, bool normFirst, bool bias, Generator? generator, DType dtype)
        : base(Op, 1, dModel, nhead, dimFeedforward, dropout, activation, activationName, layerNormEps, batchFirst, normFirst, bias, generator, dtype) { }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Forward(input, null, null, false);

    /// <summary>
    /// The block (<c>TransformerEncoderLayer.forward(src, src_mask, src_key_padding_mask, is_causal)</c>): src [L, N, dModel]
    /// ([N, L, dModel] with batchFirst, or unbatched [L, dModel]); <paramref name="srcMask"/> [L, L] or [N·nhead, L, L] and
    /// <paramref name="srcKeyPaddingMask"/> [N, L] follow <see cref="MultiheadAttention"/>'s convention (an Int64 nonzero
    /// entry masks out; a float mask is added). <paramref name="isCausal"/> with no <paramref name="srcMask"/> lets position
    /// i attend to 0..i without building a mask; with one, the mask is used (PyTorch's hint that it is causal).
    /// </summary>
    public Tensor Forward(Tensor src, Tensor? srcMask, Tensor? srcKeyPaddingMask = null, bool isCausal = false)
    {
        Transformer.CheckInput(Op, "src", src, DModel, BatchFirst);
        var x = Residual(src, Norm1, h => Attend(SelfAttn, 1, h, h, srcMask, srcKeyPaddingMask, isCausal));
        return Residual(x, Norm2, h => FeedForward(h, 2));
    }

    /// <summary>A deep copy: same configuration, a copy of every weight, same training mode (PyTorch's <c>copy.deepcopy</c>).</summary>
    internal TransformerEncoderLayer Copy()
    {
        var copy = new TransformerEncoderLayer(DModel, NHead, DimFeedforward, DropoutP, ActivationFunction, ActivationName, LayerNormEps,
            BatchFirst, NormFirst, HasBias, Generator, DType);
        copy.LoadStateDict(StateDict());
        copy.Train(IsTraining);
        return copy;
    }
}
