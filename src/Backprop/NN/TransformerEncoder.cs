namespace Backprop.NN;

/// <summary>
/// A stack of <c>numLayers</c> copies of one <see cref="TransformerEncoderLayer"/> (<c>torch.nn.TransformerEncoder</c>):
/// each copy starts with the given layer's weights (PyTorch deep-copies it), named <c>layers.0.…</c>, <c>layers.1.…</c>,
/// and an optional final <c>norm</c>.
/// </summary>
public sealed class TransformerEncoder : Module
{
    private readonly ModuleList layers = new();
    private readonly Module? norm;

    /// <summary>Creates the stack from copies of <paramref name="encoderLayer"/>; <paramref name="norm"/> (e.g. a LayerNorm) runs last.</summary>
    public TransformerEncoder(TransformerEncoderLayer encoderLayer, int numLayers, Module? norm = null)
    {
        ArgumentNullException.ThrowIfNull(encoderLayer);
        if (numLayers <= 0) throw new ArgumentException($"TransformerEncoder: numLayers must be positive, got {numLayers}.");
        for (int i = 0; i < numLayers; i++) layers.Add(encoderLayer.Copy());
        this.norm = norm;
    }

    /// <summary>The layers (<c>layers</c>).</summary>
    public IReadOnlyList<TransformerEncoderLayer> Layers => layers.Items.Cast<TransformerEncoderLayer>().ToList();
    /// <summary>Number of layers (<c>num_layers</c>).</summary>
    public int NumLayers => layers.Count;
    /// <summary>The final normalisation (<c>norm</c>), or null.</summary>
    public Module? Norm => norm;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Forward(input, null, null, false);

    /// <summary>
    /// Runs every layer in turn with the same masks (<c>TransformerEncoder.forward(src, mask, src_key_padding_mask, is_causal)</c>),
    /// then <see cref="Norm"/>. Shapes and mask conventions as <see cref="TransformerEncoderLayer.Forward(Tensor, Tensor?, Tensor?, bool)"/>.
    /// </summary>
    public Tensor Forward(Tensor src, Tensor? mask, Tensor? srcKeyPaddingMask = null, bool isCausal = false)
    {
        var x = src;
        foreach (var layer in layers.Items) x = ((TransformerEncoderLayer)layer).Forward(x, mask, srcKeyPaddingMask, isCausal);
        return norm is null ? x : norm.Forward(x);
    }
}

/// <summary>
/// A stack of <c>numLayers</c> copies of one <see cref="TransformerDecoderLayer"/> (<c>torch.nn.TransformerDecoder</c>),
/// named <c>layers.0.…</c>, with an optional final <c>norm</c>.
/// </summary>
public sealed class TransformerDecoder : Module
{
    private readonly ModuleList layers = new();
    private readonly Module? norm;

    /// <summary>Creates the stack from copies of <paramref name="decoderLayer"/>; <paramref name="norm"/> runs last.</summary>
    public TransformerDecoder(TransformerDecoderLayer decoderLayer, int numLayers, Module? norm = null)
    {
        ArgumentNullException.ThrowIfNull(decoderLayer);
        if (numLayers <= 0) throw new ArgumentException($"TransformerDecoder: numLayers must be positive, got {numLayers}.");
        for (int i = 0; i < numLayers; i++) layers.Add(decoderLayer.Copy());
        this.norm = norm;
    }

    /// <summary>The layers (<c>layers</c>).</summary>
    public IReadOnlyList<TransformerDecoderLayer> Layers => layers.Items.Cast<TransformerDecoderLayer>().ToList();
    /// <summary>Number of layers (<c>num_layers</c>).</summary>
    public int NumLayers => layers.Count;
    /// <summary>The final normalisation (<c>norm</c>), or null.</summary>
    public Module? Norm => norm;

    /// <summary>A decoder needs the memory too: use the overload taking <c>memory</c>.</summary>
    public override Tensor Forward(Tensor input) =>
        throw new InvalidOperationException("TransformerDecoder: Forward needs the target and the encoder's output (memory): call Forward(tgt, memory, ...).");

    /// <summary>Runs every layer with the same memory and masks (<c>TransformerDecoder.forward</c>), then <see cref="Norm"/>.</summary>
    public Tensor Forward(Tensor tgt, Tensor memory, Tensor? tgtMask = null, Tensor? memoryMask = null, Tensor? tgtKeyPaddingMask = null,
        Tensor? memoryKeyPaddingMask = null, bool tgtIsCausal = false, bool memoryIsCausal = false)
    {
        var x = tgt;
        foreach (var layer in layers.Items)
            x = ((TransformerDecoderLayer)layer).Forward(x, memory, tgtMask, memoryMask, tgtKeyPaddingMask, memoryKeyPaddingMask, tgtIsCausal, memoryIsCausal);
        return norm is null ? x : norm.Forward(x);
    }
}
