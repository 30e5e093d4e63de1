using Backprop.Data;

namespace Backprop.Distributed.Tests;

public class DistributedSamplerTests
{
    [Fact]
    public void WithoutShuffle_IsPyTorchsStridedShard_PaddedFromTheStart()
    {
        // PyTorch: indices = range(10) + [0, 1] (padding to 12), rank r takes indices[r::4].
        Assert.Equal([0, 4, 8], new DistributedSampler(10, 4, 0, shuffle: false).ToArray());
        Assert.Equal([1, 5, 9], new DistributedSampler(10, 4, 1, shuffle: false).ToArray());
        Assert.Equal([2, 6, 0], new DistributedSampler(10, 4, 2, shuffle: false).ToArray());
        Assert.Equal([3, 7, 1], new DistributedSampler(10, 4, 3, shuffle: false).ToArray());
        Assert.Equal(3, new DistributedSampler(10, 4, 3, shuffle: false).Count);
        Assert.Equal(12, new DistributedSampler(10, 4, 3, shuffle: false).TotalSize);
    }

    [Fact]
    public void Padding_RepeatsTheWholeListWhenMoreThanItIsNeeded()
    {
        // 2 samples over 5 ranks: total 5 = [0, 1] + [0, 1, 0].
        Assert.Equal([[0], [1], [0], [1], [0]], Enumerable.Range(0, 5).Select(r => new DistributedSampler(2, 5, r, shuffle: false).ToArray()));
    }

    [Fact]
    public void DropLast_CutsTheTail_WithPyTorchsCount()
    {
        // num_samples = ceil((10 − 4) / 4) = 2; total 8 = indices[:8].
        Assert.Equal([1, 5], new DistributedSampler(10, 4, 1, shuffle: false, dropLast: true).ToArray());
        Assert.Equal(2, new DistributedSampler(10, 4, 1, dropLast: true).Count);
        Assert.Empty(new DistributedSampler(3, 4, 0, dropLast: true));
    }

    [Fact]
    public void ShuffledShards_AreDisjoint_CoverTheData_AndFollowTheSeedAndEpoch()
    {
        int n = 103, p = 4;
        var shards = Enumerable.Range(0, p).Select(r => new DistributedSampler(n, p, r, seed: 5).ToArray()).ToArray();
        var all = shards.SelectMany(s => s).ToArray();
        Assert.Equal(104, all.Length);
        Assert.Equal(Enumerable.Range(0, n), all.Distinct().Order());          // every sample, one of them twice (padding)
        Assert.Equal(shards[0], new DistributedSampler(n, p, 0, seed: 5).ToArray()); // same seed, same order
        var s0 = new DistributedSampler(n, p, 0, seed: 5);
        s0.SetEpoch(1);
        Assert.Equal(1, s0.Epoch);
        Assert.NotEqual(shards[0], s0.ToArray());
        var shifted = new DistributedSampler(n, p, 0, seed: 6);            // seed + epoch is what counts
        Assert.Equal(s0.ToArray(), shifted.ToArray());
        Assert.NotEqual(Enumerable.Range(0, n), new DistributedSampler(n, 1, 0, seed: 5).ToArray()); // it does shuffle
    }

    [Fact]
    public void BatchKOfAllRanks_IsBatchKOfOneProcess_WithTheGlobalBatchSize()
    {
        int n = 200, p = 2, b = 8;
        var single = new DistributedSampler(n, 1, 0, seed: 3).ToArray();
        var shards = Enumerable.Range(0, p).Select(r => new DistributedSampler(n, p, r, seed: 3).ToArray()).ToArray();
        for (int k = 0; k < n / (b * p); k++)
        {
            var together = shards.SelectMany(s => s.Skip(k * b).Take(b)).Order();
            Assert.Equal(single.Skip(k * b * p).Take(b * p).Order(), together);
        }
    }

    [Fact]
    public void DataLoader_BatchesTheSamplersIndices_AndRefusesShuffleWithIt()
    {
        var data = new TensorDataset(Tensor.FromArray(Enumerable.Range(0, 10).Select(i => (float)i).ToArray()));
        var sampler = new DistributedSampler(10, 4, 2, shuffle: false);
        var loader = new DataLoader(data, batchSize: 2, sampler: sampler);
        Assert.Equal(2, loader.Count);
        Assert.Equal([[2.0, 6.0], [0.0]], loader.Select(batch => batch[0].ToArray()));
        var e = Assert.Throws<ArgumentException>(() => new DataLoader(data, 2, shuffle: true, sampler: sampler));
        Assert.Contains("mutually exclusive", e.Message);
    }

    [Fact]
    public void BadArguments_Throw()
    {
        Assert.Contains("rank should be in the interval [0, 1]", Assert.Throws<ArgumentOutOfRangeException>(() => new DistributedSampler(10, 2, 2)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new DistributedSampler(10, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DistributedSampler(-1, 1, 0));
    }
}
