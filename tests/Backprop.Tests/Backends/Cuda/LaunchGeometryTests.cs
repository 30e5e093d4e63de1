using Backprop.Backends.Cuda;

namespace Backprop.Tests.Backends.Cuda;

public class LaunchGeometryTests
{
    [Theory]
    [InlineData(0L, 0)]
    [InlineData(1L, 1)]
    [InlineData(255L, 1)]
    [InlineData(256L, 1)]
    [InlineData(257L, 2)]
    [InlineData(1_000_001L, 3907)]
    public void Elementwise_OneThreadPerElementUpToTheCap(long n, int grid)
    {
        var c = LaunchGeometry.Elementwise(n, multiprocessors: 132);
        Assert.Equal(256, c.Block);
        Assert.Equal(grid, c.Grid);
    }

    [Theory]
    [InlineData(100_000_000L)]
    [InlineData(3_000_000_000L)]       // more than 2^31 elements: the grid-stride loop covers the rest
    [InlineData(long.MaxValue / 2)]
    public void Elementwise_CapsTheGridForLargeSizes(long n)
    {
        var c = LaunchGeometry.Elementwise(n, multiprocessors: 132);
        Assert.Equal(132 * LaunchGeometry.MaxBlocksPerSm, c.Grid);
        Assert.True((long)c.Grid * c.Block < n);
    }

    [Fact]
    public void Coalesce_ContiguousTensorBecomesOneDimension()
    {
        var (shape, strides) = LaunchGeometry.Coalesce([2, 3, 4], [12, 4, 1]);
        Assert.Equal([24L], shape);
        Assert.Equal([1L], strides[0]);
    }

    [Fact]
    public void Coalesce_KeepsATransposeAndDropsSizeOneDimensions()
    {
        var (shape, strides) = LaunchGeometry.Coalesce([3, 1, 4], [1, 99, 3]);
        Assert.Equal([3L, 4L], shape);
        Assert.Equal([1L, 3L], strides[0]);
    }

    [Fact]
    public void Coalesce_MergesOnlyWhereEveryOperandAgrees()
    {
        // out [2,3,4] contiguous; b is broadcast along dim 0 ([1,3,4] expanded): dims 1,2 merge in both, dim 0 does not.
        var (shape, strides) = LaunchGeometry.Coalesce([2, 3, 4], [12, 4, 1], [0, 4, 1]);
        Assert.Equal([2L, 12L], shape);
        Assert.Equal([12L, 1L], strides[0]);
        Assert.Equal([0L, 1L], strides[1]);
    }

    [Fact]
    public void Coalesce_OfAScalarIsOneElement()
    {
        var (shape, strides) = LaunchGeometry.Coalesce([], Array.Empty<int>());
        Assert.Equal([1L], shape);
        Assert.Single(strides[0]);
    }

    [Fact]
    public void Offset_AfterCoalescing_MatchesTheOriginalLayout()
    {
        int[] shape = [2, 3, 1, 5], a = [1, 2, 7, 6], b = [15, 5, 5, 1];
        var (cs, cst) = LaunchGeometry.Coalesce(shape, a, b);
        long[] ls = [.. shape.Select(x => (long)x)];
        for (long i = 0; i < 30; i++)
        {
            Assert.Equal(LaunchGeometry.Offset(i, ls, [.. a.Select(x => (long)x)]), LaunchGeometry.Offset(i, cs, cst[0]));
            Assert.Equal(LaunchGeometry.Offset(i, ls, [.. b.Select(x => (long)x)]), LaunchGeometry.Offset(i, cs, cst[1]));
        }
        Assert.Equal(29L, LaunchGeometry.Offset(29, cs, cst[1])); // b is contiguous
    }
}
