namespace Backprop.NN;

/// <summary>
/// What <see cref="TransformerEncoderLayer"/> and <see cref="TransformerDecoderLayer"/> share (PyTorch has no such base
/// class): their configuration, the attention blocks and the feed-forward network linear1 → activation → dropout → linear2.
/// Children are registered under PyTorch's names in PyTorch's order.
/// </summary>
public abstract class TransformerLayerBase : Module
{
    private readonly Dictionary<string, Module> parts = [];
    private readonly Func<Tensor, Tensor> activation;

    private protected TransformerLayerBase(string op, int attentionBlocks, int dModel, int nhead, int dimFeedforward, double dropout,
        Func<Tensor, Tensor> activation, string activationName, double layerNormEps, bool batchFirst, bool normFirst, bool bias,
        Generator? generator, DType dtype)
    {
        Transformer.CheckSizes(op, dModel, nhead, dimFeedforward, dropout, layerNormEps);
        DModel = dModel; NHead = nhead; DimFeedforward = dimFeedforward; DropoutP = dropout; ActivationName = activationName;
        LayerNormEps = layerNormEps; BatchFirst = batchFirst; NormFirst = normFirst; HasBias = bias;
        this.activation = activation; Generator = generator; DType = dtype;
        var named = new List<(string, Module)>();
        string[] attnNames = ["self_attn", "multihead_attn"];
        for (int i = 0; i < attentionBlocks; i++)
            named.Add((attnNames[i], new MultiheadAttention(dModel, nhead, dropout, bias, batchFirst, generator, dtype, Transformer.DropoutSeed(generator))));
        named.Add(("linear1", new Linear(dModel, dimFeedforward, bias, generator, dtype)));
        named.Add(("dropout", new Dropout(dropout)));
        named.Add(("linear2", new Linear(dimFeedforward, dModel, bias, generator, dtype)));
        for (int i = 1; i <= attentionBlocks + 1; i++) named.Add(($"norm{i}", new LayerNorm([dModel], layerNormEps, true, dtype, bias)));
        for (int i = 1; i <= attentionBlocks + 1; i++) named.Add(($"dropout{i}", new Dropout(dropout)));
        foreach (var (name, m) in named) { parts[name] = m; RegisterModule(name, m); }
    }

    /// <summary>Model width (<c>d_model</c>).</summary>
    public int DModel { get; }
    /// <summary>Attention heads (<c>nhead</c>).</summary>
    public int NHead { get; }
    /// <summary>Width of the feed-forward network (<c>dim_feedforward</c>).</summary>
    public int DimFeedforward { get; }
    /// <summary>Dropout probability (<c>dropout</c>), used in attention and after each sublayer in training mode.</summary>
    public double DropoutP { get; }
    /// <summary>"relu", "gelu" or "custom" (<c>activation</c>).</summary>
    public string ActivationName { get; }
    /// <summary>The LayerNorms' epsilon (<c>layer_norm_eps</c>).</summary>
    public double LayerNormEps { get; }
    /// <summary>Inputs and output are [N, L, E] instead of [L, N, E] (<c>batch_first</c>).</summary>
    public bool BatchFirst { get; }
    /// <summary>LayerNorm before each sublayer (pre-norm) instead of after the residual (<c>norm_first</c>).</summary>
    public bool NormFirst { get; }
    /// <summary>Whether the linear, attention and LayerNorm layers have biases (<c>bias</c>, PyTorch 2.1).</summary>
    public bool HasBias { get; }
    /// <summary>The self-attention (<c>self_attn</c>).</summary>
    public MultiheadAttention SelfAttn => (MultiheadAttention)parts["self_attn"];
    /// <summary>The feed-forward network's first layer, dModel → dimFeedforward (<c>linear1</c>).</summary>
    public Linear Linear1 => (Linear)Part("linear1");
    /// <summary>The feed-forward network's second layer, dimFeedforward → dModel (<c>linear2</c>).</summary>
    public Linear Linear2 => (Linear)Part("linear2");
    /// <summary>The LayerNorm of the self-attention sublayer (<c>norm1</c>).</summary>
    public LayerNorm Norm1 => (LayerNorm)Part("norm1");
    /// <summary>The LayerNorm of the second sublayer (<c>norm2</c>).</summary>
    public LayerNorm Norm2 => (LayerNorm)Part("norm2");

    private protected Generator? Generator { get; }
    private protected DType DType { get; }
    private protected Func<Tensor, Tensor> ActivationFunction => activation;

    private protected Module Part(string name) => parts[name];

    /// <summary>dropout_i(attention(x, memory)) with the given masks, the output only.</summary>
    private protected Tensor Attend(MultiheadAttention attention, int dropoutIndex, Tensor x, Tensor memory, Tensor? mask, Tensor? keyPaddingMask, bool isCausal) =>
        Part($"dropout{dropoutIndex}").Forward(attention.Forward(x, memory, memory, keyPaddingMask, needWeights: false, attnMask: mask, isCausal: isCausal).Output);

    /// <summary>dropout_last(linear2(dropout(activation(linear1(x))))).</summary>
    private protected Tensor FeedForward(Tensor x, int dropoutIndex) =>
        Part($"dropout{dropoutIndex}").Forward(Linear2.Forward(Part("dropout").Forward(activation(Linear1.Forward(x)))));

    /// <summary>x + sublayer(norm(x)) with normFirst, else norm(x + sublayer(x)).</summary>
    private protected Tensor Residual(Tensor x, LayerNorm norm, Func<Tensor, Tensor> sublayer) =>
        NormFirst ? x + sublayer(norm.Forward(x)) : norm.Forward(x + sublayer(x));

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        $"d_model={DModel}, nhead={NHead}, dim_feedforward={DimFeedforward}, dropout={DropoutP}, activation={ActivationName}, norm_first={NormFirst}";
}
