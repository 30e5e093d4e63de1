using Backprop.Backends;

namespace Backprop.NN;

/// <summary>Convolutions, unfold and fold (<c>torch.nn.functional.conv*</c>, <c>unfold</c>, <c>fold</c>).</summary>
public static partial class Functional
{
    /// <summary>
    /// 2-D convolution (cross-correlation, as in PyTorch) of <paramref name="input"/> [N, Cin, H, W] with
    /// <paramref name="weight"/> [Cout, Cin/groups, kh, kw] and an optional <paramref name="bias"/> [Cout]
    /// (<c>F.conv2d</c>). Computed per image as im2col and one GEMM per group, the images split across threads.
    /// </summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null, Size2? stride = null, Padding2 padding = default,
        Size2? dilation = null, int groups = 1)
        => Tensor.Conv2dOp(input, weight, bias, ConvGeometry(input, weight, bias, stride, padding, dilation, groups), groups);

    /// <summary>
    /// ReLU(max-pool(conv2d(...))) with <see cref="Conv2d"/>'s and <see cref="MaxPool2d"/>'s arguments and checks: the values
    /// and gradients of the three ops in that order, recorded as one node for the 2×2 pool (see
    /// <see cref="Sequential.PoolBeforeRelu"/>).
    /// </summary>
    internal static Tensor Conv2dReluMaxPool(Tensor input, Tensor weight, Tensor? bias, Size2 stride, Padding2 padding, Size2 dilation, int groups,
        Size2 poolKernel, Size2 poolStride, Size2 poolPadding, Size2 poolDilation, bool poolCeilMode)
    {
        var g = ConvGeometry(input, weight, bias, stride, padding, dilation, groups);
        int[] convShape = [input.Shape[0], weight.Shape[0], g.OutH, g.OutW];
        const string op = "MaxPool2d";
        CheckPoolPadding(op, poolKernel, poolPadding, poolDilation);
        var pool = Geometry(op, convShape, poolKernel, poolStride, poolPadding, poolDilation, poolCeilMode);
        return Tensor.Conv2dReluMaxPoolOp(input, weight, bias, g, groups, pool);
    }

    /// <summary>The checked window geometry of a 2-D convolution (ranks, groups, channels, bias shape, output size).</summary>
    private static WindowGeometry ConvGeometry(Tensor input, Tensor weight, Tensor? bias, Size2? stride, Padding2 padding, Size2? dilation, int groups)
    {
        const string op = "Conv2d";
        if (input.Rank != 4)
            throw new ArgumentException($"{op}: expected a 4-D input [N, C, H, W], got shape {ShapeText(input)}; add a batch dimension with Unsqueeze(0) for a single image.");
        if (weight.Rank != 4)
            throw new ArgumentException($"{op}: expected a 4-D weight [out_channels, in_channels/groups, kh, kw], got shape {ShapeText(weight)}.");
        int n = input.Shape[0], cin = input.Shape[1], cout = weight.Shape[0];
        CheckGroups(op, cin, cout, groups);
        if (weight.Shape[1] * groups != cin)
            throw new ArgumentException($"{op}: given groups={groups}, weight of size {ShapeText(weight)}, expected input {ShapeText(input)} to have {weight.Shape[1] * groups} channels, but got {cin} channels instead.");
        if (bias is not null && (bias.Rank != 1 || bias.Shape[0] != cout))
            throw new ArgumentException($"{op}: bias must have shape [{cout}], got {ShapeText(bias)}.");
        return Geometry(op, input, (weight.Shape[2], weight.Shape[3]), stride ?? 1, padding, dilation ?? 1, ceilMode: false);
    }

    /// <summary>1-D convolution of [N, Cin, L] with a weight [Cout, Cin/groups, k] (<c>F.conv1d</c>), as a 2-D convolution of height 1.</summary>
    public static Tensor Conv1d(Tensor input, Tensor weight, Tensor? bias = null, int stride = 1, Padding1 padding = default, int dilation = 1, int groups = 1)
    {
        if (input.Rank != 3)
            throw new ArgumentException($"Conv1d: expected a 3-D input [N, C, L], got shape {ShapeText(input)}; add a batch dimension with Unsqueeze(0) for a single sequence.");
        if (weight.Rank != 3)
            throw new ArgumentException($"Conv1d: expected a 3-D weight [out_channels, in_channels/groups, k], got shape {ShapeText(weight)}.");
        Padding2 pad2 = padding.IsSame ? "same" : (0, padding.Value);
        return Conv2d(input.Unsqueeze(2), weight.Unsqueeze(2), bias, (1, stride), pad2, (1, dilation), groups).Squeeze(2);
    }

    /// <summary>
    /// Transposed 2-D convolution (the gradient of <see cref="Conv2d"/> with respect to its input) of [N, Cin, H, W] with a
    /// weight [Cin, Cout/groups, kh, kw] (<c>F.conv_transpose2d</c>): output size (H−1)·stride − 2·padding +
    /// dilation·(kh−1) + outputPadding + 1. Computed as one GEMM per group and fold (col2im).
    /// </summary>
    public static Tensor ConvTranspose2d(Tensor input, Tensor weight, Tensor? bias = null, Size2? stride = null, Size2 padding = default,
        Size2 outputPadding = default, int groups = 1, Size2? dilation = null)
    {
        const string op = "ConvTranspose2d";
        if (input.Rank != 4)
            throw new ArgumentException($"{op}: expected a 4-D input [N, C, H, W], got shape {ShapeText(input)}; add a batch dimension with Unsqueeze(0) for a single image.");
        if (weight.Rank != 4)
            throw new ArgumentException($"{op}: expected a 4-D weight [in_channels, out_channels/groups, kh, kw], got shape {ShapeText(weight)}.");
        int n = input.Shape[0], cin = input.Shape[1], cout = weight.Shape[1] * groups;
        if (weight.Shape[0] != cin)
            throw new ArgumentException($"{op}: weight of size {ShapeText(weight)} expects input {ShapeText(input)} to have {weight.Shape[0]} channels, but got {cin} channels instead.");
        CheckGroups(op, cin, cout, groups);
        Size2 s = stride ?? 1, d = dilation ?? 1;
        if (s.H <= 0 || s.W <= 0 || d.H <= 0 || d.W <= 0 || padding.H < 0 || padding.W < 0)
            throw new ArgumentException($"{op}: stride {s.Pair} and dilation {d.Pair} must be positive and padding {padding.Pair} non-negative.");
        if (outputPadding.H < 0 || outputPadding.W < 0 || (outputPadding.H >= s.H && outputPadding.H >= d.H) || (outputPadding.W >= s.W && outputPadding.W >= d.W))
            throw new ArgumentException($"{op}: output padding {outputPadding.Pair} must be smaller than either stride {s.Pair} or dilation {d.Pair}.");
        int h = input.Shape[2], w = input.Shape[3], kh = weight.Shape[2], kw = weight.Shape[3];
        int outH = (h - 1) * s.H - 2 * padding.H + d.H * (kh - 1) + outputPadding.H + 1;
        int outW = (w - 1) * s.W - 2 * padding.W + d.W * (kw - 1) + outputPadding.W + 1;
        if (outH <= 0 || outW <= 0)
            throw new ArgumentException($"{op}: input of shape {ShapeText(input)} with kernel ({kh}, {kw}), stride {s.Pair}, padding {padding.Pair} gives an empty output ({outH} x {outW}).");
        // The convolution this one transposes maps an [Cout, outH, outW] image to h·w windows.
        var g = new WindowGeometry(cout, outH, outW, kh, kw, s.H, s.W, padding.H, padding.W, d.H, d.W, h, w);
        int perGroupIn = cin / groups, rowsPerGroup = cout / groups * kh * kw;
        var x = input.Reshape([n, groups, perGroupIn, h * w]);
        var wT = weight.Reshape([groups, perGroupIn, rowsPerGroup]).Transpose(-1, -2); // [G, Cout/G·kh·kw, Cin/G]
        var columns = wT.MatMul(x).Reshape([n, g.Rows, g.Positions]);
        var output = Tensor.FoldWindows(columns, g);
        return bias is null ? output : output + bias.View([1, cout, 1, 1]);
    }

    /// <summary>
    /// Every sliding window of [N, C, H, W] as a column: [N, C·kh·kw, L] (<c>F.unfold</c>; zero padding).
    /// </summary>
    public static Tensor Unfold(Tensor input, Size2 kernelSize, Size2? dilation = null, Size2 padding = default, Size2? stride = null) =>
        Tensor.UnfoldWindows(input, Geometry("Unfold", input, kernelSize, stride ?? 1, padding, dilation ?? 1, ceilMode: false));

    /// <summary>
    /// Sums columns [N, C·kh·kw, L] back into images [N, C, outputSize] (<c>F.fold</c>), the adjoint of <see cref="Unfold"/>.
    /// </summary>
    public static Tensor Fold(Tensor input, Size2 outputSize, Size2 kernelSize, Size2? dilation = null, Size2 padding = default, Size2? stride = null)
    {
        if (input.Rank != 3)
            throw new ArgumentException($"Fold: expected a 3-D input [N, C·kh·kw, L], got shape {ShapeText(input)}.");
        int kk = kernelSize.H * kernelSize.W;
        if (kk <= 0 || input.Shape[1] % kk != 0)
            throw new ArgumentException($"Fold: the input's dimension 1 ({input.Shape[1]}) must be divisible by the kernel's {kernelSize.H}·{kernelSize.W} elements.");
        int channels = input.Shape[1] / kk;
        var g = Geometry("Fold", new[] { input.Shape[0], channels, outputSize.H, outputSize.W }, kernelSize, stride ?? 1, padding, dilation ?? 1, ceilMode: false);
        if (input.Shape[2] != g.Positions)
            throw new ArgumentException($"Fold: output size {outputSize.Pair} with kernel {kernelSize.Pair} gives {g.OutH}·{g.OutW} = {g.Positions} windows, but the input has {input.Shape[2]}.");
        return Tensor.FoldWindows(input, g);
    }

    /// <summary>
    /// The window geometry for an [N, C, H, W] input, with PyTorch's output size (⌊⌋ or, with <paramref name="ceilMode"/>,
    /// ⌈⌉ of (H + 2p − d·(k−1) − 1)/s + 1, dropping a last window that would start in the padding) and its errors.
    /// </summary>
    internal static WindowGeometry Geometry(string op, Tensor input, Size2 kernel, Size2 stride, Padding2 padding, Size2 dilation, bool ceilMode) =>
        Geometry(op, input.Shape.ToArray(), kernel, stride, padding, dilation, ceilMode);

    private static WindowGeometry Geometry(string op, int[] inputShape, Size2 kernel, Size2 stride, Padding2 padding, Size2 dilation, bool ceilMode)
    {
        if (inputShape.Length != 4)
            throw new ArgumentException($"{op}: expected a 4-D input [N, C, H, W], got shape [{string.Join(", ", inputShape)}].");
        if (kernel.H <= 0 || kernel.W <= 0) throw new ArgumentException($"{op}: kernel size {kernel.Pair} must be positive.");
        if (stride.H <= 0 || stride.W <= 0) throw new ArgumentException($"{op}: stride {stride.Pair} must be positive.");
        if (dilation.H <= 0 || dilation.W <= 0) throw new ArgumentException($"{op}: dilation {dilation.Pair} must be positive.");
        if (padding.H < 0 || padding.W < 0) throw new ArgumentException($"{op}: padding ({padding.H}, {padding.W}) must be non-negative.");
        int c = inputShape[1], h = inputShape[2], w = inputShape[3];
        int spanH = dilation.H * (kernel.H - 1) + 1, spanW = dilation.W * (kernel.W - 1) + 1;
        int top, left, bottom, right;
        if (padding.IsSame)
        {
            if (stride.H != 1 || stride.W != 1)
                throw new ArgumentException($"{op}: padding=\"same\" is not supported for strided convolutions (stride {stride.Pair}).");
            top = (spanH - 1) / 2; bottom = spanH - 1 - top;
            left = (spanW - 1) / 2; right = spanW - 1 - left;
        }
        else { top = bottom = padding.H; left = right = padding.W; }
        if (h + top + bottom < spanH || w + left + right < spanW)
            throw new ArgumentException($"{op}: calculated padded input size per channel: ({h + top + bottom} x {w + left + right}). " +
                $"Kernel size: ({spanH} x {spanW}). Kernel size can't be greater than actual input size (input [{string.Join(", ", inputShape)}], kernel {kernel.Pair}, dilation {dilation.Pair}, padding ({top}, {left})).");
        int outH = OutputSize(h, top + bottom, spanH, stride.H, top, ceilMode);
        int outW = OutputSize(w, left + right, spanW, stride.W, left, ceilMode);
        return new WindowGeometry(c, h, w, kernel.H, kernel.W, stride.H, stride.W, top, left, dilation.H, dilation.W, outH, outW);
    }

    private static int OutputSize(int size, int totalPad, int span, int stride, int padBefore, bool ceilMode)
    {
        int room = size + totalPad - span;
        int outSize = (ceilMode ? (room + stride - 1) / stride : room / stride) + 1;
        if (ceilMode && (outSize - 1) * stride >= size + padBefore) outSize--; // the last window must start inside the image or the left padding
        return outSize;
    }

    private static void CheckGroups(string op, int cin, int cout, int groups)
    {
        if (groups <= 0) throw new ArgumentException($"{op}: groups must be positive, got {groups}.");
        if (cin % groups != 0) throw new ArgumentException($"{op}: in_channels ({cin}) must be divisible by groups ({groups}).");
        if (cout % groups != 0) throw new ArgumentException($"{op}: out_channels ({cout}) must be divisible by groups ({groups}).");
    }

    private static string ShapeText(Tensor t) => "[" + string.Join(", ", t.Shape.ToArray()) + "]";
}
