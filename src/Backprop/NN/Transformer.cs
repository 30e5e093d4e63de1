namespace Backprop.NN;

/// <summary>
/// Helpers shared by the Transformer layers (<c>torch.nn.Transformer</c>'s static method). The full encoder–decoder
/// <c>nn.Transformer</c> module is not provided: stack a <see cref="TransformerEncoder"/> and a <see cref="TransformerDecoder"/>.
/// </summary>
public static class Transformer
{
    /// <summary>
    /// The additive causal mask [n, n] (<c>nn.Transformer.generate_square_subsequent_mask</c>): 0 on and below the diagonal,
    /// −∞ above it, so position i attends to positions 0..i. Passing <c>isCausal: true</c> instead never builds it.
    /// </summary>
    public static Tensor GenerateSquareSubsequentMask(int n, DType dtype = DType.Float32)
    {
        if (n <= 0) throw new ArgumentException($"GenerateSquareSubsequentMask: the size must be positive, got {n}.");
        var causal = Functional.CausalMask(n, n);
        return Tensor.Where(causal, Tensor.Scalar(0, dtype), Tensor.Scalar(double.NegativeInfinity, dtype));
    }

    /// <summary>The activation named <paramref name="name"/> (PyTorch's strings "relu" and "gelu").</summary>
    internal static Func<Tensor, Tensor> Activation(string op, string name) => name switch
    {
        "relu" => x => x.Relu(),
        "gelu" => x => x.Gelu(),
        _ => throw new ArgumentException($"{op}: activation should be relu/gelu, not {name}."),
    };

    /// <summary>Checks the layer's sizes (as PyTorch's constructor and MultiheadAttention do).</summary>
    internal static void CheckSizes(string op, int dModel, int nhead, int dimFeedforward, double dropout, double layerNormEps)
    {
        if (dModel <= 0 || nhead <= 0 || dimFeedforward <= 0)
            throw new ArgumentException($"{op}: dModel, nhead and dimFeedforward must be positive, got dModel={dModel}, nhead={nhead}, dimFeedforward={dimFeedforward}.");
        if (dModel % nhead != 0)
            throw new ArgumentException($"{op}: dModel ({dModel}) must be divisible by nhead ({nhead}); each head gets dModel/nhead features.");
        if (dropout < 0 || dropout > 1) throw new ArgumentException($"{op}: dropout has to be between 0 and 1, but got {dropout}.");
        if (!(layerNormEps > 0)) throw new ArgumentException($"{op}: layerNormEps must be positive, got {layerNormEps}.");
    }

    /// <summary>Checks that <paramref name="x"/> is [L, N, dModel] / [N, L, dModel] (batchFirst) or unbatched [L, dModel].</summary>
    internal static void CheckInput(string op, string name, Tensor x, int dModel, bool batchFirst)
    {
        string layout = batchFirst ? "[N, L, dModel]" : "[L, N, dModel]";
        if (x.Rank != 2 && x.Rank != 3)
            throw new ArgumentException($"{op}: expected {name} of shape {layout} (or unbatched [L, dModel]) with dModel={dModel}, got shape {x.ShapeString} ({x.Rank} dimensions).");
        if (x.Size(-1) != dModel)
            throw new ArgumentException($"{op}: {name} of shape {x.ShapeString} has {x.Size(-1)} features in its last dimension, expected dModel={dModel}.");
    }

    /// <summary>A fresh seed for a layer's attention dropout, drawn from <paramref name="generator"/> or the default generator.</summary>
    internal static long DropoutSeed(Generator? generator) => (long)((generator ?? Generator.Default).NextUInt64() >> 1);
}
