using Backprop.Backends;

namespace Backprop.NN;

/// <summary>Pooling (<c>F.max_pool1d/2d</c>, <c>F.avg_pool1d/2d</c>, <c>F.adaptive_avg_pool2d</c>), composed from unfold.</summary>
public static partial class Functional
{
    /// <summary>
    /// Maximum over each window of [N, C, H, W] (<c>F.max_pool2d</c>); <paramref name="stride"/> defaults to the kernel
    /// size. Padding reads −∞; the gradient goes to the first maximum of each window, as in PyTorch.
    /// </summary>
    public static Tensor MaxPool2d(Tensor input, Size2 kernelSize, Size2? stride = null, Size2 padding = default, Size2? dilation = null, bool ceilMode = false)
        => Tensor.MaxPool2dOp(input, MaxPoolGeometry(input, kernelSize, stride, padding, dilation, ceilMode));

    /// <summary>
    /// ReLU(max-pool(input)), equal bit for bit to max-pool(ReLU(input)) with the same gradients (see
    /// <see cref="Sequential.PoolBeforeRelu"/>); the arguments and checks are <see cref="MaxPool2d"/>'s.
    /// </summary>
    internal static Tensor MaxPool2dRelu(Tensor input, Size2 kernelSize, Size2? stride = null, Size2 padding = default, Size2? dilation = null, bool ceilMode = false)
        => Tensor.MaxPool2dReluOp(input, MaxPoolGeometry(input, kernelSize, stride, padding, dilation, ceilMode));

    /// <summary>The checked window geometry of a max-pool (the input's rank, padding against the kernel, the output size).</summary>
    private static WindowGeometry MaxPoolGeometry(Tensor input, Size2 kernelSize, Size2? stride, Size2 padding, Size2? dilation, bool ceilMode)
    {
        const string op = "MaxPool2d";
        CheckPoolInput(op, input, 4);
        CheckPoolPadding(op, kernelSize, padding, dilation ?? 1);
        return Geometry(op, input, kernelSize, stride ?? kernelSize, padding, dilation ?? 1, ceilMode);
    }

    /// <summary>
    /// Mean over each window of [N, C, H, W] (<c>F.avg_pool2d</c>). With <paramref name="countIncludePad"/> the divisor
    /// counts padding (but not the part of a ceil-mode window past the padding); without it, only input elements;
    /// <paramref name="divisorOverride"/> replaces both.
    /// </summary>
    public static Tensor AvgPool2d(Tensor input, Size2 kernelSize, Size2? stride = null, Size2 padding = default, bool ceilMode = false,
        bool countIncludePad = true, int? divisorOverride = null)
    {
        const string op = "AvgPool2d";
        CheckPoolInput(op, input, 4);
        CheckPoolPadding(op, kernelSize, padding, 1);
        if (divisorOverride is <= 0) throw new ArgumentException($"{op}: divisor override must be positive, got {divisorOverride}.");
        var g = Geometry(op, input, kernelSize, stride ?? kernelSize, padding, 1, ceilMode);
        int n = input.Shape[0], c = input.Shape[1];
        var sums = Tensor.UnfoldWindows(input, g).View([n, c, kernelSize.H * kernelSize.W, g.Positions]).Sum(2);
        var divisor = new double[g.Positions];
        for (int oy = 0; oy < g.OutH; oy++)
            for (int ox = 0; ox < g.OutW; ox++)
            {
                // PyTorch's avg_pool2d divisor: the window clipped to the padded input, or to the input itself.
                int y0 = oy * g.StrideH - g.PadTop, x0 = ox * g.StrideW - g.PadLeft;
                int y1 = Math.Min(y0 + g.KernelH, g.Height + padding.H), x1 = Math.Min(x0 + g.KernelW, g.Width + padding.W);
                int poolSize = (y1 - y0) * (x1 - x0);
                int inside = (Math.Min(y1, g.Height) - Math.Max(y0, 0)) * (Math.Min(x1, g.Width) - Math.Max(x0, 0));
                divisor[oy * g.OutW + ox] = divisorOverride ?? (countIncludePad ? poolSize : inside);
            }
        var div = Tensor.FromArray(divisor).To(input.DType).To(input.Storage.Allocator);
        return (sums / div).View([n, c, g.OutH, g.OutW]);
    }

    /// <summary>
    /// Averages [N, C, H, W] over PyTorch's adaptive windows to [N, C, outH, outW] (<c>F.adaptive_avg_pool2d</c>): window i
    /// of a dimension spans [⌊i·H/out⌋, ⌈(i+1)·H/out⌉). The windows are separable, so this is A_h · x · A_wᵀ.
    /// </summary>
    public static Tensor AdaptiveAvgPool2d(Tensor input, Size2 outputSize)
    {
        const string op = "AdaptiveAvgPool2d";
        CheckPoolInput(op, input, 4);
        if (outputSize.H <= 0 || outputSize.W <= 0) throw new ArgumentException($"{op}: output size {outputSize.Pair} must be positive.");
        int h = input.Shape[2], w = input.Shape[3];
        if (h % outputSize.H == 0 && w % outputSize.W == 0)
            return AvgPool2d(input, (h / outputSize.H, w / outputSize.W)); // equal windows: a plain average pool
        var rows = AdaptiveMatrix(h, outputSize.H).To(input.DType).To(input.Storage.Allocator);      // [outH, H]
        var columns = AdaptiveMatrix(w, outputSize.W).To(input.DType).To(input.Storage.Allocator);   // [outW, W]
        return rows.MatMul(input).MatMul(columns.Transpose());
    }

    /// <summary>Maximum over windows of [N, C, L] (<c>F.max_pool1d</c>).</summary>
    public static Tensor MaxPool1d(Tensor input, int kernelSize, int? stride = null, int padding = 0, int dilation = 1, bool ceilMode = false)
    {
        CheckPoolInput("MaxPool1d", input, 3);
        return MaxPool2d(input.Unsqueeze(2), (1, kernelSize), (1, stride ?? kernelSize), (0, padding), (1, dilation), ceilMode).Squeeze(2);
    }

    /// <summary>Mean over windows of [N, C, L] (<c>F.avg_pool1d</c>).</summary>
    public static Tensor AvgPool1d(Tensor input, int kernelSize, int? stride = null, int padding = 0, bool ceilMode = false, bool countIncludePad = true)
    {
        CheckPoolInput("AvgPool1d", input, 3);
        return AvgPool2d(input.Unsqueeze(2), (1, kernelSize), (1, stride ?? kernelSize), (0, padding), ceilMode, countIncludePad).Squeeze(2);
    }

    private static Tensor AdaptiveMatrix(int size, int outSize)
    {
        var m = new double[outSize, size];
        for (int i = 0; i < outSize; i++)
        {
            int start = i * size / outSize, end = ((i + 1) * size + outSize - 1) / outSize;
            for (int j = start; j < end; j++) m[i, j] = 1.0 / (end - start);
        }
        return Tensor.FromArray(m);
    }

    private static void CheckPoolInput(string op, Tensor input, int rank)
    {
        if (input.Rank != rank)
            throw new ArgumentException($"{op}: expected a {rank}-D input [N, C{(rank == 4 ? ", H, W" : ", L")}], got shape {ShapeText(input)}.");
        if (!input.DType.IsFloatingPoint()) throw new ArgumentException($"{op}: expected a floating-point input, got {input.DType}.");
    }

    private static void CheckPoolPadding(string op, Size2 kernel, Size2 padding, Size2 dilation)
    {
        if (padding.H * 2 > dilation.H * (kernel.H - 1) + 1 || padding.W * 2 > dilation.W * (kernel.W - 1) + 1)
            throw new ArgumentException($"{op}: padding {padding.Pair} should be at most half of the effective kernel size {kernel.Pair}.");
    }
}
