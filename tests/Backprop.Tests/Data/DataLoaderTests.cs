using Backprop.Data;
using Backprop.NN;
using Backprop.Optim;

namespace Backprop.Tests.Data;

public class DataLoaderTests
{
    private static TensorDataset Hundred() =>
        new(Tensor.Arange(0.0, 100.0, 1.0).Reshape([100, 1]), Tensor.Arange(100));

    [Theory]
    [InlineData(100, 50)]   // batch gradient descent: one update per epoch
    [InlineData(1, 5000)]   // stochastic gradient descent: one update per sample
    [InlineData(20, 250)]   // mini-batch gradient descent
    public void TutorialUpdateCounts(int batchSize, int expectedUpdates)
    {
        var data = new TensorDataset(Tensor.Randn([100, 10], new Generator(0)), Tensor.Randn([100, 1], new Generator(1)));
        var model = new Linear(10, 1, generator: new Generator(2));
        var opt = new Sgd(model.Parameters(), lr: 0.01);
        var loader = new DataLoader(data, batchSize, shuffle: true, seed: 0);
        int updates = 0;
        for (int epoch = 0; epoch < 50; epoch++)
            foreach (var (x, y) in loader)
            {
                opt.ZeroGrad();
                Functional.MseLoss(model.Forward(x), y).Backward();
                opt.Step();
                updates++;
            }
        Assert.Equal(expectedUpdates, updates);
        Assert.Equal(expectedUpdates / 50, loader.Count);
    }

    [Fact]
    public void Shuffle_NewOrderEachEpoch_ReproducibleFromSeed_CoversEverySample()
    {
        List<long> Epoch(DataLoader l) => l.SelectMany(b => b[1].ToArray<long>()).ToList();
        var a = new DataLoader(Hundred(), 32, shuffle: true, seed: 7);
        var b = new DataLoader(Hundred(), 32, shuffle: true, seed: 7);
        var a1 = Epoch(a); var a2 = Epoch(a);
        Assert.Equal(a1, Epoch(b));
        Assert.Equal(a2, Epoch(b));
        Assert.NotEqual(a1, a2);
        Assert.Equal(Enumerable.Range(0, 100).Select(i => (long)i), a1.Order());
        Assert.NotEqual(Enumerable.Range(0, 100).Select(i => (long)i), a1);
        var batch = a.First();
        Assert.Equal(new[] { 32, 1 }, batch[0].Shape.ToArray());
        Assert.Equal(batch[1].ToArray(), batch[0].Reshape([-1]).ToArray()); // features and labels stay paired
    }

    [Fact]
    public void NoShuffle_InOrder_AndDropLast()
    {
        var loader = new DataLoader(Hundred(), 30);
        var sizes = loader.Select(b => b[0].Shape[0]).ToArray();
        Assert.Equal(new[] { 30, 30, 30, 10 }, sizes);
        Assert.Equal(new long[] { 0, 1, 2 }, loader.First()[1].ToArray<long>()[..3]);
        Assert.Equal(3, new DataLoader(Hundred(), 30, dropLast: true).Count());
    }

    [Fact]
    public void CustomCollateAndGenericDatasets()
    {
        var concat = new ConcatDataset<Tensor[]>(Hundred(), new TensorDataset(Tensor.Zeros([5, 1]), Tensor.Zeros([5], DType.Int64)));
        Assert.Equal(105, concat.Count);
        Assert.Equal(0L, concat[104][1].Item<long>());
        Assert.Equal(99L, concat[99][1].Item<long>());
        var loader = new DataLoader(concat, 50);
        Assert.Equal(new[] { 50, 50, 5 }, loader.Select(b => b[0].Shape[0]).ToArray());
        int calls = 0;
        var custom = new DataLoader(Hundred(), 10, collate: s => { calls++; return DataLoader.Stack(s); });
        Assert.Equal(10, custom.Count());
        Assert.Equal(10, calls);
        var subset = new Subset<Tensor[]>(Hundred(), [5, 7]);
        Assert.Equal(7L, subset[1][1].Item<long>());
        Assert.Throws<ArgumentOutOfRangeException>(() => new Subset<Tensor[]>(Hundred(), [100]));
    }

    [Fact]
    public void RandomSplit_DisjointReproducibleSizes()
    {
        var parts = DatasetSplits.RandomSplit(Hundred(), [0.8, 0.2], seed: 0);
        Assert.Equal(80, parts[0].Count);
        Assert.Equal(20, parts[1].Count);
        var ids0 = ((TensorSubset)parts[0]).Indices; var ids1 = ((TensorSubset)parts[1]).Indices;
        Assert.Empty(ids0.Intersect(ids1));
        Assert.Equal(ids0, ((TensorSubset)DatasetSplits.RandomSplit(Hundred(), [0.8, 0.2], seed: 0)[0]).Indices);
        Assert.Equal(new[] { 34, 33, 33 }, DatasetSplits.RandomSplit(Hundred(), [1 / 3.0, 1 / 3.0, 1 / 3.0]).Select(p => p.Count).ToArray());
        Assert.Throws<ArgumentException>(() => DatasetSplits.RandomSplit(Hundred(), [50, 20]));
        var rows = ((TensorSubset)parts[1]).Materialize();
        Assert.Equal(ids1, rows[1].ToArray<long>());
    }

    [Fact]
    public void TensorDataset_SizeMismatch_NamesShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => new TensorDataset(Tensor.Zeros([3, 2]), Tensor.Zeros([4])));
        Assert.Contains("[3, 2]", ex.Message);
        Assert.Contains("[4]", ex.Message);
    }

    [Fact]
    public void RecycleBatches_SameBatches_BuffersReused_OldBatchesRefuseUse()
    {
        var data = new TensorDataset(Tensor.Arange(0, 40 * 64).Reshape([40, 64]).To(DType.Float32), Tensor.Arange(0, 40));
        var plain = new DataLoader(data, batchSize: 16, shuffle: true, seed: 5).Select(b => b[0].ToArray<float>()).ToList();
        var loader = new DataLoader(data, batchSize: 16, shuffle: true, seed: 5, recycleBatches: true);
        var seen = new List<Tensor>();
        Tensor? kept = null, detached = null;
        Array? firstBuffer = null;
        int i = 0;
        foreach (var (x, y) in loader)
        {
            Assert.Equal(plain[i], x.ToArray<float>());
            if (i > 0) Assert.Throws<ObjectDisposedException>(() => seen[^1].Sum()); // the previous batch was recycled
            if (i == 0) (firstBuffer, kept) = (Backends.RawBuffer.Of(x), x.Clone());
            if (i == 1) Assert.Same(firstBuffer, Backends.RawBuffer.Of(x));               // ... and its buffer holds this one
            if (i == 2) detached = x.DetachFromScope();
            seen.Add(x);
            i++;
        }
        Assert.Equal(3, i);
        Assert.Throws<ObjectDisposedException>(() => seen[1].Sum());
        Assert.Equal(plain[0], kept!.ToArray<float>());     // a clone made inside the loop is the caller's
        Assert.Equal(plain[2], detached!.ToArray<float>()); // so is a batch detached from the loader's scope
    }
}
