namespace Backprop.NN;

/// <summary>x·sigmoid(x), also called swish (<c>torch.nn.SiLU</c>).</summary>
public sealed class Silu : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Silu(input);
}

/// <summary>x·tanh(softplus(x)) (<c>torch.nn.Mish</c>).</summary>
public sealed class Mish : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Mish(input);
}

/// <summary>Clamps into [minVal, maxVal], default [−1, 1] (<c>torch.nn.Hardtanh</c>).</summary>
public sealed class Hardtanh(double minVal = -1, double maxVal = 1) : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Hardtanh(minVal, maxVal);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"min_val={minVal}, max_val={maxVal}";
}

/// <summary>x/(1 + |x|) (<c>torch.nn.Softsign</c>).</summary>
public sealed class Softsign : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Softsign(input);
}

/// <summary>
/// x for x &gt; 0, else a·x with a learnable slope a (<c>torch.nn.PReLU</c>): one slope shared by all channels, or one per
/// channel (dimension 1 of the input) when <c>numParameters</c> is the channel count; every slope starts at
/// <c>init</c> (0.25). State-dict name <c>weight</c>.
/// </summary>
public sealed class PRelu : Module
{
    /// <summary>The slopes, shape [numParameters].</summary>
    public Parameter Weight { get; }

    /// <summary>Creates the layer.</summary>
    public PRelu(int numParameters = 1, double init = 0.25, DType dtype = DType.Float32)
    {
        if (numParameters <= 0) throw new ArgumentException($"PRelu: numParameters must be positive, got {numParameters}.");
        Weight = new Parameter(Tensor.Full([numParameters], init, dtype));
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.PRelu(input, Weight);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"num_parameters={Weight.Numel}";
}

public static partial class Functional
{
    /// <summary>x·sigmoid(x) (<c>F.silu</c>).</summary>
    public static Tensor Silu(Tensor input) => input * input.Sigmoid();

    /// <summary>x·tanh(softplus(x)) (<c>F.mish</c>; softplus with PyTorch's threshold 20).</summary>
    public static Tensor Mish(Tensor input) => input * input.Softplus().Tanh();

    /// <summary>Clamp into [minVal, maxVal] with a strict-interior gradient (<c>F.hardtanh</c>).</summary>
    public static Tensor Hardtanh(Tensor input, double minVal = -1, double maxVal = 1) => input.Hardtanh(minVal, maxVal);

    /// <summary>x/(1 + |x|) (<c>F.softsign</c>).</summary>
    public static Tensor Softsign(Tensor input) => input / (input.Abs() + 1);

    /// <summary>
    /// x for x &gt; 0, else weight·x (<c>F.prelu</c>); a weight of n &gt; 1 elements applies one slope per channel
    /// (dimension 1), and the input must then have n channels.
    /// </summary>
    public static Tensor PRelu(Tensor input, Tensor weight)
    {
        if (weight.Rank != 1) throw new ArgumentException($"PRelu: weight must be 1-D, got shape {weight.ShapeString}.");
        var w = weight;
        if (weight.Numel > 1)
        {
            if (input.Rank < 2 || input.Shape[1] != weight.Numel)
                throw new ArgumentException($"PRelu: {weight.Numel} slopes (weight shape {weight.ShapeString}) need an input with {weight.Numel} channels in dimension 1, got shape {input.ShapeString}.");
            var shape = Enumerable.Repeat(1, input.Rank).ToArray();
            shape[1] = weight.Numel;
            w = weight.Reshape(shape);
        }
        return Tensor.Where(input > 0, input, w * input);
    }
}
