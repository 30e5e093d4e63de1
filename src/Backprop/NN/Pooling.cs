namespace Backprop.NN;

/// <summary>Maximum over windows of [N, C, H, W] (<c>torch.nn.MaxPool2d</c>); the stride defaults to the kernel size.</summary>
public sealed class MaxPool2d(Size2 kernelSize, Size2? stride = null, Size2 padding = default, Size2? dilation = null, bool ceilMode = false) : Module
{
    /// <summary>Window (height, width).</summary>
    public Size2 KernelSize { get; } = kernelSize;
    /// <summary>Step between windows.</summary>
    public Size2 Stride { get; } = stride ?? kernelSize;
    /// <summary>−∞ padding on each side.</summary>
    public Size2 Padding { get; } = padding;
    /// <summary>Spacing of a window's elements.</summary>
    public Size2 Dilation { get; } = dilation ?? 1;
    /// <summary>Round the output size up (a last window may start in the input and run past it).</summary>
    public bool CeilMode { get; } = ceilMode;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.MaxPool2d(input, KernelSize, Stride, Padding, Dilation, CeilMode);

    /// <summary>ReLU of this pool's output, as one op: what <see cref="Sequential"/> runs for a ReLU followed by this pool.</summary>
    internal Tensor ForwardRelu(Tensor input) => Functional.MaxPool2dRelu(input, KernelSize, Stride, Padding, Dilation, CeilMode);

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        $"kernel_size={KernelSize}, stride={Stride}, padding={Padding}, dilation={Dilation}, ceil_mode={(CeilMode ? "True" : "False")}";
}

/// <summary>Mean over windows of [N, C, H, W] (<c>torch.nn.AvgPool2d</c>); the stride defaults to the kernel size.</summary>
public sealed class AvgPool2d(Size2 kernelSize, Size2? stride = null, Size2 padding = default, bool ceilMode = false, bool countIncludePad = true,
    int? divisorOverride = null) : Module
{
    /// <summary>Window (height, width).</summary>
    public Size2 KernelSize { get; } = kernelSize;
    /// <summary>Step between windows.</summary>
    public Size2 Stride { get; } = stride ?? kernelSize;
    /// <summary>Zero padding on each side.</summary>
    public Size2 Padding { get; } = padding;
    /// <summary>Round the output size up.</summary>
    public bool CeilMode { get; } = ceilMode;
    /// <summary>Whether the divisor counts padding.</summary>
    public bool CountIncludePad { get; } = countIncludePad;
    /// <summary>A fixed divisor, or null.</summary>
    public int? DivisorOverride { get; } = divisorOverride;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.AvgPool2d(input, KernelSize, Stride, Padding, CeilMode, CountIncludePad, DivisorOverride);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"kernel_size={KernelSize}, stride={Stride}, padding={Padding}";
}

/// <summary>Averages [N, C, H, W] down to a fixed output size (<c>torch.nn.AdaptiveAvgPool2d</c>).</summary>
public sealed class AdaptiveAvgPool2d(Size2 outputSize) : Module
{
    /// <summary>Output (height, width).</summary>
    public Size2 OutputSize { get; } = outputSize;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.AdaptiveAvgPool2d(input, OutputSize);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"output_size={OutputSize}";
}

/// <summary>Maximum over windows of [N, C, L] (<c>torch.nn.MaxPool1d</c>).</summary>
public sealed class MaxPool1d(int kernelSize, int? stride = null, int padding = 0, int dilation = 1, bool ceilMode = false) : Module
{
    /// <summary>Window length.</summary>
    public int KernelSize { get; } = kernelSize;
    /// <summary>Step between windows.</summary>
    public int Stride { get; } = stride ?? kernelSize;
    /// <summary>−∞ padding at each end.</summary>
    public int Padding { get; } = padding;
    /// <summary>Spacing of a window's elements.</summary>
    public int Dilation { get; } = dilation;
    /// <summary>Round the output size up.</summary>
    public bool CeilMode { get; } = ceilMode;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.MaxPool1d(input, KernelSize, Stride, Padding, Dilation, CeilMode);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"kernel_size={KernelSize}, stride={Stride}, padding={Padding}";
}

/// <summary>Mean over windows of [N, C, L] (<c>torch.nn.AvgPool1d</c>).</summary>
public sealed class AvgPool1d(int kernelSize, int? stride = null, int padding = 0, bool ceilMode = false, bool countIncludePad = true) : Module
{
    /// <summary>Window length.</summary>
    public int KernelSize { get; } = kernelSize;
    /// <summary>Step between windows.</summary>
    public int Stride { get; } = stride ?? kernelSize;
    /// <summary>Zero padding at each end.</summary>
    public int Padding { get; } = padding;
    /// <summary>Round the output size up.</summary>
    public bool CeilMode { get; } = ceilMode;
    /// <summary>Whether the divisor counts padding.</summary>
    public bool CountIncludePad { get; } = countIncludePad;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.AvgPool1d(input, KernelSize, Stride, Padding, CeilMode, CountIncludePad);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"kernel_size={KernelSize}, stride={Stride}, padding={Padding}";
}
