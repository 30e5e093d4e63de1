using Backprop.Data;

namespace Backprop.Tests.Data;

/// <summary>Random crops (zero padding, then a shifted window) and horizontal flips of image batches.</summary>
public class ImageAugmentationTests
{
    private static Tensor Images() => Tensor.Arange(2 * 2 * 4 * 5).To(DType.Float32).Reshape([2, 2, 4, 5]) + 1; // no zeros inside

    [Fact]
    public void RandomCrop_ShiftsEachImageByAtMostThePadding_FillingWithZeros()
    {
        var x = Images();
        var y = ImageAugmentation.RandomCrop(x, 1, new Generator(3));
        Assert.Equal(x.Shape.ToArray(), y.Shape.ToArray());
        var src = x.ToArray<float>();
        var dst = y.ToArray<float>();
        for (int n = 0; n < 2; n++)
        {
            // Find the shift that explains image n: every pixel is either the source pixel at (y+dy, x+dx) or a padding zero.
            bool found = false;
            for (int dy = -1; dy <= 1 && !found; dy++)
                for (int dx = -1; dx <= 1 && !found; dx++)
                {
                    bool ok = true;
                    for (int c = 0; c < 2 && ok; c++)
                        for (int r = 0; r < 4 && ok; r++)
                            for (int col = 0; col < 5 && ok; col++)
                            {
                                int sr = r + dy, sc = col + dx;
                                float expected = sr is >= 0 and < 4 && sc is >= 0 and < 5 ? src[((n * 2 + c) * 4 + sr) * 5 + sc] : 0;
                                ok = dst[((n * 2 + c) * 4 + r) * 5 + col] == expected;
                            }
                    found = ok;
                }
            Assert.True(found, $"image {n} is not a shift of at most one pixel of the source");
        }
        Assert.Equal(y.ToArray<float>(), ImageAugmentation.RandomCrop(x, 1, new Generator(3)).ToArray<float>()); // seeded
        Assert.Equal(src, ImageAugmentation.RandomCrop(x, 0, new Generator(3)).ToArray<float>());
    }

    [Fact]
    public void RandomHorizontalFlip_MirrorsWholeImagesOrLeavesThem()
    {
        var x = Images();
        var mirrored = ImageAugmentation.RandomHorizontalFlip(x, new Generator(0), p: 1);
        Assert.Equal(x.Flip_(3).ToArray<float>(), mirrored.ToArray<float>());
        Assert.Equal(x.ToArray<float>(), ImageAugmentation.RandomHorizontalFlip(x, new Generator(0), p: 0).ToArray<float>());
    }

    [Fact]
    public void BadInput_IsRejected()
    {
        Assert.Contains("[N, C, H, W]", Assert.Throws<ArgumentException>(() => ImageAugmentation.RandomCrop(Tensor.Zeros([4, 4]), 1, new Generator(0))).Message);
        Assert.Throws<ArgumentException>(() => ImageAugmentation.RandomCrop(Images(), -1, new Generator(0)));
        Assert.Throws<ArgumentException>(() => ImageAugmentation.RandomHorizontalFlip(Images(), new Generator(0), p: 2));
    }
}

internal static class FlipHelper
{
    /// <summary>Reverses the last dimension by index selection (a second implementation for the test).</summary>
    public static Tensor Flip_(this Tensor x, int dim) =>
        x.IndexSelect(dim, Tensor.FromArray(Enumerable.Range(0, x.Shape[dim]).Reverse().Select(i => (long)i).ToArray()));
}
