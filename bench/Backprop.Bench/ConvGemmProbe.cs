using Backprop.Backends;
using Backprop.Kernels;
using Backprop.Kernels.Gemm;

namespace Backprop.Bench;

/// <summary>
/// The fmnist_cnn step's convolution kernels timed by thread CPU time on one thread: conv2's im2col (ns per column
/// element), its GEMMs (64 × 288 × 196 per image, and as one batch-wide product) and conv1's weight gradient, in GFLOP/s.
/// </summary>
public static class ConvGemmProbe
{
    public static IEnumerable<(string Name, double Value, string Unit)> Run(int images = 128, int reps = 3)
    {
        const int m = 64, k = 288, n = 196;
        var g = new Generator(0);
        float[] R(int count) => Enumerable.Range(0, count).Select(_ => (float)g.NextNormal()).ToArray();
        var w = R(m * k);
        var cols = R(k * n * images); // per image [k, n] blocks
        var y = new float[m * n * images];
        var gy = R(m * n * images);
        var dw = new float[m * k];
        var wide = R(k * n * images); // batch-wide [k, n·images]
        var yWide = new float[m * n * images];
        double Nanoseconds(Action a) // per repetition
        {
            a();
            long t0 = ThreadCpuClock.Now();
            for (int r = 0; r < reps; r++) a();
            return (ThreadCpuClock.Now() - t0) / (double)reps;
        }
        double Gflops(double macs, Action a) => 2 * macs / Nanoseconds(a);
        double conv2 = (double)m * k * n * images;

        var geometry = new WindowGeometry(32, 14, 14, 3, 3, 1, 1, 1, 1, 1, 1, 14, 14);
        var image = R(32 * 14 * 14 * images);
        var scratch = new float[k * n];
        yield return ("im2col_conv2", Nanoseconds(() =>
        {
            for (int i = 0; i < images; i++) ConvKernels.Im2Col<float>(image.AsSpan(i * 32 * 196, 32 * 196), geometry, scratch, 0f);
        }) / ((double)k * n * images), "ns_per_element");

        var g1 = new WindowGeometry(1, 28, 28, 3, 3, 1, 1, 1, 1, 1, 1, 28, 28);
        var x1 = R(784 * images);
        var gy1 = R(32 * 784 * images);
        var dw1 = new float[32 * 9];
        var scratch1 = new float[9 * 784];
        yield return ("conv1_weight_grad_32x784x9", Gflops(32.0 * 784 * 9 * images, () => ConvGemmKernels.WeightGrad(x1, gy1, dw1, 0, scratch1, 0, g1, 1, 32, 0, images)), "gflops");

        yield return ("fwd_per_image_64x288x196", Gflops(conv2, () =>
        {
            for (int i = 0; i < images; i++) GemmKernel.Multiply(w, 0, k, 1, cols, i * k * n, n, 1, y, i * m * n, n, m, k, n);
        }), "gflops");
        yield return ("fwd_batch_64x288x25088", Gflops(conv2, () => GemmKernel.Multiply(w, 0, k, 1, wide, 0, n * images, 1, yWide, 0, n * images, m, k, n * images)), "gflops");
        yield return ("dx_per_image_288x64x196", Gflops(conv2, () =>
        {
            for (int i = 0; i < images; i++) GemmKernel.Multiply(w, 0, 1, k, gy, i * m * n, n, 1, cols, i * k * n, n, k, m, n);
        }), "gflops");
        yield return ("dw_per_image_64x196x288", Gflops(conv2, () =>
        {
            for (int i = 0; i < images; i++) GemmKernel.Multiply(gy, i * m * n, n, 1, cols, i * k * n, 1, n, dw, 0, k, m, n, k, accumulate: true);
        }), "gflops");
        // The implicit GEMM (no column matrix) on the same layer, whole passes: padding, packing and stores included.
        if (ImplicitConvPasses.ResolvePath(geometry) is { } path)
        {
            var packedW = new float[ImplicitConvPasses.PackedForwardSize(path, geometry, 1, m)];
            var packedF = new float[ImplicitConvPasses.PackedInputGradSize(path, geometry, 1, m)];
            var pad = new float[ImplicitConvPasses.ForwardScratchSize<float>(path, geometry, 1)];
            var padG = new float[ImplicitConvPasses.InputGradScratchSize<float>(path, geometry, 1, m)];
            var (px, pk, pacc) = ImplicitConvPasses.WeightGradScratchSizes<float>(path, geometry, 1, m);
            var (padX, packedG, acc) = (new float[px], new float[pk], new float[pacc]);
            var dx = new float[32 * 196 * images];
            yield return ("implicit_fwd", Gflops(conv2, () =>
            {
                ImplicitConvPasses.PackForward(path, w, geometry, 1, m, packedW);
                ImplicitConvPasses.Forward(path, image, w, packedW, null, y, pad, geometry, 1, m, 0, images);
            }), "gflops");
            yield return ("implicit_dx", Gflops(conv2, () =>
            {
                ImplicitConvPasses.PackInputGrad(path, w, geometry, 1, m, packedF);
                ImplicitConvPasses.InputGrad(path, gy, packedF, dx, padG, geometry, 1, m, 0, images);
            }), "gflops");
            yield return ("implicit_dw", Gflops(conv2, () => ImplicitConvPasses.WeightGrad(path, image, gy, dw, 0, null, 0, padX, packedG, acc, geometry, 1, m, 0, images)), "gflops");
            if (ImplicitConvPasses.ResolvePath(g1) is { } path1)
            {
                var (qx, qk, qacc) = ImplicitConvPasses.WeightGradScratchSizes<float>(path1, g1, 1, 32);
                var (padX1, packedG1, acc1) = (new float[qx], new float[qk], new float[qacc]);
                yield return ("implicit_conv1_dw", Gflops(32.0 * 784 * 9 * images, () => ImplicitConvPasses.WeightGrad(path1, x1, gy1, dw1, 0, null, 0, padX1, packedG1, acc1, g1, 1, 32, 0, images)), "gflops");
            }
        }
        yield return ("dw_batch_64x25088x288", Gflops(conv2, () => GemmKernel.Multiply(yWide, 0, n * images, 1, wide, 0, 1, n * images, dw, 0, k, m, n * images, k, accumulate: true)), "gflops");
    }
}
