namespace Backprop.NN;

/// <summary>
/// The weight and bias of a convolution, with PyTorch's default initialisation: Kaiming-uniform weight with a = √5
/// (U(±1/√fan_in)) and bias U(±1/√fan_in), fan_in = in_channels/groups · kernel elements.
/// </summary>
public abstract class ConvBase : Module
{
    /// <summary>The filters (state-dict name <c>weight</c>).</summary>
    public Parameter Weight { get; }

    /// <summary>One bias per output channel, or null (state-dict name <c>bias</c>).</summary>
    public Parameter? Bias { get; }

    /// <summary>Input channels.</summary>
    public int InChannels { get; }

    /// <summary>Output channels.</summary>
    public int OutChannels { get; }

    /// <summary>Channel groups (each output channel sees in_channels/groups inputs).</summary>
    public int Groups { get; }

    /// <summary>Creates the parameters; <paramref name="weightShape"/> is PyTorch's for the layer.</summary>
    private protected ConvBase(string name, int inChannels, int outChannels, int groups, int[] weightShape, bool hasBias, Generator? generator, DType dtype)
    {
        if (inChannels <= 0 || outChannels <= 0) throw new ArgumentException($"{name}: channels must be positive, got in={inChannels}, out={outChannels}.");
        if (groups <= 0) throw new ArgumentException($"{name}: groups must be positive, got {groups}.");
        if (inChannels % groups != 0) throw new ArgumentException($"{name}: in_channels ({inChannels}) must be divisible by groups ({groups}).");
        if (outChannels % groups != 0) throw new ArgumentException($"{name}: out_channels ({outChannels}) must be divisible by groups ({groups}).");
        foreach (int k in weightShape.AsSpan(2))
            if (k <= 0) throw new ArgumentException($"{name}: kernel size must be positive, got weight shape [{string.Join(", ", weightShape)}].");
        InChannels = inChannels; OutChannels = outChannels; Groups = groups;
        Weight = new Parameter(Tensor.Zeros(weightShape, dtype));
        Init.KaimingUniform(Weight, a: Math.Sqrt(5), generator: generator);
        if (hasBias)
        {
            Bias = new Parameter(Tensor.Zeros([outChannels], dtype));
            double bound = 1 / Math.Sqrt(Init.Fans(Weight).FanIn);
            Init.Uniform(Bias, -bound, bound, generator);
        }
    }
}

/// <summary>2-D convolution over [N, C, H, W] (<c>torch.nn.Conv2d</c>); weight [out, in/groups, kh, kw].</summary>
public sealed class Conv2d : ConvBase
{
    /// <summary>Creates the layer; <paramref name="padding"/> also takes <c>"same"</c> and <c>"valid"</c>.</summary>
    public Conv2d(int inChannels, int outChannels, Size2 kernelSize, Size2? stride = null, Padding2 padding = default, Size2? dilation = null,
        int groups = 1, bool hasBias = true, Generator? generator = null, DType dtype = DType.Float32)
        : base("Conv2d", inChannels, outChannels, groups, [outChannels, Math.Max(1, inChannels / Math.Max(1, groups)), kernelSize.H, kernelSize.W], hasBias, generator, dtype)
    {
        KernelSize = kernelSize; Stride = stride ?? 1; Padding = padding; Dilation = dilation ?? 1;
        if (padding.IsSame && Stride != new Size2(1, 1)) throw new ArgumentException("Conv2d: padding=\"same\" is not supported for strided convolutions.");
    }

    /// <summary>Kernel (height, width).</summary>
    public Size2 KernelSize { get; }
    /// <summary>Stride.</summary>
    public Size2 Stride { get; }
    /// <summary>Padding.</summary>
    public Padding2 Padding { get; }
    /// <summary>Dilation.</summary>
    public Size2 Dilation { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Conv2d(input, Weight, Bias, Stride, Padding, Dilation, Groups);

    /// <summary>This convolution, a ReLU and <paramref name="pool"/> as <see cref="Sequential"/> runs them when they follow each other.</summary>
    internal Tensor ForwardReluMaxPool(Tensor input, MaxPool2d pool) =>
        Functional.Conv2dReluMaxPool(input, Weight, Bias, Stride, Padding, Dilation, Groups, pool.KernelSize, pool.Stride, pool.Padding, pool.Dilation, pool.CeilMode);

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        $"{InChannels}, {OutChannels}, kernel_size={KernelSize.Pair}, stride={Stride.Pair}" +
        (Padding.IsSame ? ", padding=same" : Padding.H != 0 || Padding.W != 0 ? $", padding=({Padding.H}, {Padding.W})" : "") +
        (Dilation != new Size2(1, 1) ? $", dilation={Dilation.Pair}" : "") + (Groups != 1 ? $", groups={Groups}" : "") + (Bias is null ? ", bias=False" : "");
}

/// <summary>1-D convolution over [N, C, L] (<c>torch.nn.Conv1d</c>); weight [out, in/groups, k].</summary>
public sealed class Conv1d : ConvBase
{
    /// <summary>Creates the layer; <paramref name="padding"/> also takes <c>"same"</c> and <c>"valid"</c>.</summary>
    public Conv1d(int inChannels, int outChannels, int kernelSize, int stride = 1, Padding1 padding = default, int dilation = 1,
        int groups = 1, bool hasBias = true, Generator? generator = null, DType dtype = DType.Float32)
        : base("Conv1d", inChannels, outChannels, groups, [outChannels, Math.Max(1, inChannels / Math.Max(1, groups)), kernelSize], hasBias, generator, dtype)
    {
        KernelSize = kernelSize; Stride = stride; Padding = padding; Dilation = dilation;
        if (padding.IsSame && stride != 1) throw new ArgumentException("Conv1d: padding=\"same\" is not supported for strided convolutions.");
    }

    /// <summary>Kernel length.</summary>
    public int KernelSize { get; }
    /// <summary>Stride.</summary>
    public int Stride { get; }
    /// <summary>Padding.</summary>
    public Padding1 Padding { get; }
    /// <summary>Dilation.</summary>
    public int Dilation { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Conv1d(input, Weight, Bias, Stride, Padding, Dilation, Groups);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"{InChannels}, {OutChannels}, kernel_size=({KernelSize},), stride=({Stride},)" +
        (Padding.IsSame ? ", padding=same" : Padding.Value != 0 ? $", padding=({Padding.Value},)" : "") + (Groups != 1 ? $", groups={Groups}" : "");
}

/// <summary>
/// Transposed 2-D convolution (<c>torch.nn.ConvTranspose2d</c>), the gradient of a convolution with respect to its input:
/// weight [in, out/groups, kh, kw]; output size (H−1)·stride − 2·padding + dilation·(kh−1) + outputPadding + 1.
/// </summary>
public sealed class ConvTranspose2d : ConvBase
{
    /// <summary>Creates the layer.</summary>
    public ConvTranspose2d(int inChannels, int outChannels, Size2 kernelSize, Size2? stride = null, Size2 padding = default, Size2 outputPadding = default,
        int groups = 1, bool hasBias = true, Size2? dilation = null, Generator? generator = null, DType dtype = DType.Float32)
        : base("ConvTranspose2d", inChannels, outChannels, groups, [inChannels, Math.Max(1, outChannels / Math.Max(1, groups)), kernelSize.H, kernelSize.W], hasBias, generator, dtype)
    {
        KernelSize = kernelSize; Stride = stride ?? 1; Padding = padding; OutputPadding = outputPadding; Dilation = dilation ?? 1;
    }

    /// <summary>Kernel (height, width).</summary>
    public Size2 KernelSize { get; }
    /// <summary>Stride.</summary>
    public Size2 Stride { get; }
    /// <summary>Padding removed from each side of the output.</summary>
    public Size2 Padding { get; }
    /// <summary>Extra rows/columns added after the output.</summary>
    public Size2 OutputPadding { get; }
    /// <summary>Dilation.</summary>
    public Size2 Dilation { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.ConvTranspose2d(input, Weight, Bias, Stride, Padding, OutputPadding, Groups, Dilation);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"{InChannels}, {OutChannels}, kernel_size={KernelSize.Pair}, stride={Stride.Pair}";
}
