namespace Backprop.NN;

/// <summary>Maximum over windows of [N, C, H, W] (<c>torch.nn.MaxPool2d</c>); the stride defaults to the kernel size.</summary>
public sealed class MaxPool2d(Size2 kernelSize, Size2? stride = null, Size2 padding = default, Size2? dilation = null, bool ceilMode = false) : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.MaxPool2d(input, kernelSize, stride, padding, dilation, ceilMode);

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        $"kernel_size={kernelSize}, stride={stride ?? kernelSize}, padding={padding}, dilation={dilation ?? 1}, ceil_mode={(ceilMode ? "True" : "False")}";
}

/// <summary>Mean over windows of [N, C, H, W] (<c>torch.nn.AvgPool2d</c>); the stride defaults to the kernel size.</summary>
public sealed class AvgPool2d(Size2 kernelSize, Size2? stride = null, Size2 padding = default, bool ceilMode = false, bool countIncludePad = true,
    int? divisorOverride = null) : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.AvgPool2d(input, kernelSize, stride, padding, ceilMode, countIncludePad, divisorOverride);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"kernel_size={kernelSize}, stride={stride ?? kernelSize}, padding={padding}";
}

/// <summary>Averages [N, C, H, W] down to a fixed output size (<c>torch.nn.AdaptiveAvgPool2d</c>).</summary>
public sealed class AdaptiveAvgPool2d(Size2 outputSize) : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.AdaptiveAvgPool2d(input, outputSize);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"output_size={outputSize}";
}

/// <summary>Maximum over windows of [N, C, L] (<c>torch.nn.MaxPool1d</c>).</summary>
public sealed class MaxPool1d(int kernelSize, int? stride = null, int padding = 0, int dilation = 1, bool ceilMode = false) : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.MaxPool1d(input, kernelSize, stride, padding, dilation, ceilMode);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"kernel_size={kernelSize}, stride={stride ?? kernelSize}, padding={padding}";
}

/// <summary>Mean over windows of [N, C, L] (<c>torch.nn.AvgPool1d</c>).</summary>
public sealed class AvgPool1d(int kernelSize, int? stride = null, int padding = 0, bool ceilMode = false, bool countIncludePad = true) : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.AvgPool1d(input, kernelSize, stride, padding, ceilMode, countIncludePad);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"kernel_size={kernelSize}, stride={stride ?? kernelSize}, padding={padding}";
}
