namespace Backprop.Data;

/// <summary>
/// Random image augmentation for batches of images [N, C, H, W] (torchvision's <c>RandomCrop(size, padding)</c> and
/// <c>RandomHorizontalFlip(p)</c>, applied to each image of the batch independently). Deterministic for a seeded
/// <see cref="Generator"/>; the result is a new tensor that does not require grad.
/// </summary>
public static class ImageAugmentation
{
    /// <summary>Pads each image with <paramref name="padding"/> zeros on every side and crops a random H×W window back out.</summary>
    public static Tensor RandomCrop(Tensor images, int padding, Generator generator)
    {
        var (n, c, h, w) = Dims(images, "RandomCrop");
        if (padding < 0) throw new ArgumentException($"RandomCrop: padding must be non-negative, got {padding}.");
        if (padding == 0) return images.Detach();
        var src = images.To(DType.Float32).ToArray<float>();
        var dst = new float[src.Length];
        for (int i = 0; i < n; i++)
        {
            int dy = (int)generator.NextInt64(0, 2 * padding + 1) - padding, dx = (int)generator.NextInt64(0, 2 * padding + 1) - padding;
            for (int ch = 0; ch < c; ch++)
            {
                int plane = (i * c + ch) * h * w;
                for (int y = 0; y < h; y++)
                {
                    int sy = y + dy;
                    if ((uint)sy >= (uint)h) continue; // a padded row: zeros
                    int x0 = Math.Max(0, -dx), x1 = Math.Min(w, w - dx);
                    if (x1 > x0) Array.Copy(src, plane + sy * w + x0 + dx, dst, plane + y * w + x0, x1 - x0);
                }
            }
        }
        return Tensor.FromArray(dst).Reshape([n, c, h, w]).To(images.Storage.Allocator).To(images.DType); // on the images' device
    }

    /// <summary>Mirrors each image left to right with probability <paramref name="p"/>.</summary>
    public static Tensor RandomHorizontalFlip(Tensor images, Generator generator, double p = 0.5)
    {
        var (n, c, h, w) = Dims(images, "RandomHorizontalFlip");
        if (p < 0 || p > 1) throw new ArgumentException($"RandomHorizontalFlip: probability must be in [0, 1], got {p}.");
        var data = images.To(DType.Float32).ToArray<float>();
        for (int i = 0; i < n; i++)
        {
            if (generator.NextDouble() >= p) continue;
            for (int row = i * c * h; row < (i + 1) * c * h; row++) Array.Reverse(data, row * w, w);
        }
        return Tensor.FromArray(data).Reshape([n, c, h, w]).To(images.Storage.Allocator).To(images.DType);
    }

    private static (int N, int C, int H, int W) Dims(Tensor images, string op)
    {
        if (images.Rank != 4) throw new ArgumentException($"{op}: expected images [N, C, H, W], got shape [{string.Join(", ", images.Shape.ToArray())}].");
        if (!images.DType.IsFloatingPoint()) throw new ArgumentException($"{op}: expected floating-point images, got {images.DType}.");
        return (images.Shape[0], images.Shape[1], images.Shape[2], images.Shape[3]);
    }
}
