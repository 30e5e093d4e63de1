using Backprop.NN;

namespace Backprop.Distributed.Tests;

public class GradBucketTests
{
    private static Parameter P(int numel, DType dtype = DType.Float32) => new(Tensor.Zeros([numel]).To(dtype));

    [Fact]
    public void Assign_FillsInRegistrationOrder_FirstBucketSmall_ThenReverses()
    {
        // Float32: 4 bytes each. First bucket closes at ≥ 1 KiB (cap for the test: first 1 KiB, then 4 KiB).
        var ps = new[] { P(100), P(200), P(300), P(600), P(400), P(50) };
        var buckets = GradBucket.Assign(ps, capBytes: 4096, firstBucketBytes: 1024);
        // [100, 200] = 1200 B ≥ 1 KiB closes; [300, 600, 400] = 5200 B ≥ 4 KiB closes; [50] stays open.
        Assert.Equal([[ps[5]], [ps[2], ps[3], ps[4]], [ps[0], ps[1]]], buckets);
    }

    [Fact]
    public void Assign_KeepsDTypesApart()
    {
        var ps = new[] { P(10), P(10, DType.Float64), P(10), P(10, DType.Float64) };
        var buckets = GradBucket.Assign(ps, capBytes: 25 << 20);
        Assert.Equal([[ps[1], ps[3]], [ps[0], ps[2]]], buckets);
    }

    [Fact]
    public void Create_RefusesIntegerParameters()
    {
        Assert.IsType<GradBucket<float>>(GradBucket.Create([P(2)]));
        Assert.IsType<GradBucket<double>>(GradBucket.Create([P(2, DType.Float64)]));
        var ints = new Parameter(Tensor.Zeros([2]).To(DType.Int64), requiresGrad: false);
        Assert.Contains("Float32 or Float64", Assert.Throws<NotSupportedException>(() => GradBucket.Create([ints])).Message);
    }

    [Fact]
    public void UsingTheseTypes_DoesNotLoadMpi()
    {
        // Nothing MPI is loaded unless a process group is created (tests never create one in this process).
        _ = new DistributedSampler(10, 2, 0).ToArray();
        _ = GradBucket.Assign([P(3)], 1024);
        Assert.DoesNotContain("libmpi", File.ReadAllText("/proc/self/maps"));
    }
}
