namespace Backprop.NN;

/// <summary>
/// One Transformer decoder block (<c>torch.nn.TransformerDecoderLayer</c>): self-attention over the target, attention
/// from the target to the encoder's output (<c>multihead_attn</c>), and the feed-forward network, each with dropout, a
/// residual connection and a LayerNorm (norm1..norm3; post-norm, or pre-norm with <c>normFirst</c>). Parameters carry
/// PyTorch's names, so a PyTorch layer's state dict loads with <see cref="Module.LoadStateDict"/>.
/// </summary>
public sealed class TransformerDecoderLayer : TransformerLayerBase
{
    private const string Op = "TransformerDecoderLayer";

    /// <summary>Creates the layer with PyTorch's arguments and defaults; <paramref name="activation"/> is "relu" or "gelu".</summary>
    public TransformerDecoderLayer(int dModel, int nhead, int dimFeedforward = 2048, double dropout = 0.1, string activation = "relu",
        double layerNormEps = 1e-5, bool batchFirst = false, bool normFirst = false, bool bias = true, Generator? generator = null,
        DType dtype = DType.Float32)
        : base(Op, 2, dModel, nhead, dimFeedforward, dropout, Transformer.Activation(Op, activation), activation, layerNormEps, batchFirst, normFirst, bias, generator, dtype) { }

    /// <summary>Creates the layer with a custom activation function (PyTorch's callable <c>activation</c>).</summary>
    public TransformerDecoderLayer(int dModel, int nhead, int dimFeedforward, double dropout, Func<Tensor, Tensor> activation,
        double layerNormEps = 1e-5, bool batchFirst = false, bool normFirst = false, bool bias = true, Generator? generator = null,
        DType dtype = DType.Float32)
        : this(dModel, nhead, dimFeedforward, dropout, activation ?? throw new ArgumentNullException(nameof(activation)), "custom",
            layerNormEps, batchFirst, normFirst, bias, generator, dtype) { }

    private TransformerDecoderLayer(int dModel, int nhead, int dimFeedforward, double dropout, Func<Tensor, Tensor> activation, string activationName,
        double layerNormEps, bool batchFirst, bool normFirst, bool bias, Generator? generator, DType dtype)
        : base(Op, 2, dModel, nhead, dimFeedforward, dropout, activation, activationName, layerNormEps, batchFirst, normFirst, bias, generator, dtype) { }

    /// <summary>The attention from the target to the memory (<c>multihead_attn</c>).</summary>
    public MultiheadAttention MultiheadAttn => (MultiheadAttention)Part("multihead_attn");
    /// <summary>The LayerNorm of the feed-forward sublayer (<c>norm3</c>).</summary>
    public LayerNorm Norm3 => (LayerNorm)Part("norm3");

    /// <summary>A decoder needs the memory too: use <see cref="Forward(Tensor, Tensor, Tensor?, Tensor?, Tensor?, Tensor?, bool, bool)"/>.</summary>
    public override Tensor Forward(Tensor input) =>
        throw new InvalidOperationException($"{Op}: Forward needs the target and the encoder's output (memory): call Forward(tgt, memory, ...).");

    /// <summary>
    /// The block (<c>TransformerDecoderLayer.forward</c>): tgt [T, N, dModel] and memory [S, N, dModel] ([N, ·, dModel] with
    /// batchFirst, or unbatched). <paramref name="tgtMask"/> [T, T] / <paramref name="memoryMask"/> [T, S] (or with N·nhead in
    /// front) and the key padding masks [N, T] / [N, S] follow <see cref="MultiheadAttention"/>'s convention.
    /// <paramref name="tgtIsCausal"/> / <paramref name="memoryIsCausal"/> without the matching mask apply the causal mask
    /// without building it.
    /// </summary>
    public Tensor Forward(Tensor tgt, Tensor memory, Tensor? tgtMask = null, Tensor? memoryMask = null, Tensor? tgtKeyPaddingMask = null,
        Tensor? memoryKeyPaddingMask = null, bool tgtIsCausal = false, bool memoryIsCausal = false)
    {
        Transformer.CheckInput(Op, "tgt", tgt, DModel, BatchFirst);
        Transformer.CheckInput(Op, "memory", memory, DModel, BatchFirst);
        if (memory.Rank != tgt.Rank)
            throw new ArgumentException($"{Op}: tgt of shape {tgt.ShapeString} and memory of shape {memory.ShapeString} must both be batched or both unbatched.");
        var x = Residual(tgt, Norm1, h => Attend(SelfAttn, 1, h, h, tgtMask, tgtKeyPaddingMask, tgtIsCausal));
        x = Residual(x, Norm2, h => Attend(MultiheadAttn, 2, h, memory, memoryMask, memoryKeyPaddingMask, memoryIsCausal));
        return Residual(x, Norm3, h => FeedForward(h, 3));
    }

    /// <summary>A deep copy: same configuration, a copy of every weight, same training mode (PyTorch's <c>copy.deepcopy</c>).</summary>
    internal TransformerDecoderLayer Copy()
    {
        var copy = new TransformerDecoderLayer(DModel, NHead, DimFeedforward, DropoutP, ActivationFunction, ActivationName, LayerNormEps,
            BatchFirst, NormFirst, HasBias, Generator, DType);
        copy.LoadStateDict(StateDict());
        copy.Train(IsTraining);
        return copy;
    }
}
