using Backprop.Kernels.Gemm;

namespace Backprop.Bench;

/// <summary>
/// The fmnist_cnn step's convolution GEMMs (conv2: 64 × 288 × 196 per image, batch 128) timed by thread CPU time on one
/// thread: per image as the convolution runs them, and as one batch-wide product, in GFLOP/s.
/// </summary>
public static class ConvGemmProbe
{
    public static IEnumerable<(string Shape, double Gflops)> Run(int images = 128, int reps = 3, int kOverride = 288)
    {
        const int m = 64, n = 196; int k = kOverride;
        var g = new Generator(0);
        float[] R(int count) => Enumerable.Range(0, count).Select(_ => (float)g.NextNormal()).ToArray();
        var w = R(m * k);
        var cols = R(k * n * images); // per image [k, n] blocks
        var y = new float[m * n * images];
        var gy = R(m * n * images);
        var dw = new float[m * k];
        var wide = R(k * n * images); // batch-wide [k, n·images]
        var yWide = new float[m * n * images];
        double Time(Action a)
        {
            a();
            long t0 = ThreadCpuClock.Now();
            for (int r = 0; r < reps; r++) a();
            return 2.0 * m * k * n * images * reps / (ThreadCpuClock.Now() - t0);
        }
        var geometry = new Backprop.Backends.WindowGeometry(32, 14, 14, 3, 3, 1, 1, 1, 1, 1, 1, 14, 14);
        var images4 = R(32 * 14 * 14 * images);
        var scratch = new float[k * n];
        if (k == 288)
        {
            double im2col = Time(() =>
            {
                for (int i = 0; i < images; i++) Backprop.Kernels.ConvKernels.Im2Col<float>(images4.AsSpan(i * 32 * 196, 32 * 196), geometry, scratch, 0f);
            });
            yield return ("im2col_ns_per_element", 2.0 * m * k * n / im2col / (k * n)); // Time() divides the product's FLOPs by ns
        }
        if (k == 288)
        {
            var g1 = new Backprop.Backends.WindowGeometry(1, 28, 28, 3, 3, 1, 1, 1, 1, 1, 1, 28, 28);
            var x1 = R(784 * images);
            var gy1 = R(32 * 784 * images);
            var dw1 = new float[32 * 9];
            var scratch1 = new float[9 * 784];
            double rate = Time(() => Backprop.Kernels.ConvGemmKernels.WeightGrad(x1, gy1, dw1, 0, scratch1, 0, g1, 1, 32, 0, images));
            yield return ("conv1_weight_grad_32x784x9", rate * (32.0 * 784 * 9) / (m * k * n)); // rescale Time's FLOP count
        }
        yield return ("fwd_per_image_64x288x196", Time(() =>
        {
            for (int i = 0; i < images; i++) GemmKernel.Multiply(w, 0, k, 1, cols, i * k * n, n, 1, y, i * m * n, n, m, k, n);
        }));
        yield return ("fwd_batch_64x288x25088", Time(() => GemmKernel.Multiply(w, 0, k, 1, wide, 0, n * images, 1, yWide, 0, n * images, m, k, n * images)));
        yield return ("dx_per_image_288x64x196", Time(() =>
        {
            for (int i = 0; i < images; i++) GemmKernel.Multiply(w, 0, 1, k, gy, i * m * n, n, 1, cols, i * k * n, n, k, m, n);
        }));
        yield return ("dw_per_image_64x196x288", Time(() =>
        {
            for (int i = 0; i < images; i++) GemmKernel.Multiply(gy, i * m * n, n, 1, cols, i * k * n, 1, n, dw, 0, k, m, n, k, accumulate: true);
        }));
        yield return ("dw_batch_64x25088x288", Time(() => GemmKernel.Multiply(yWide, 0, n * images, 1, wide, 0, 1, n * images, dw, 0, k, m, n * images, k, accumulate: true)));
    }
}
