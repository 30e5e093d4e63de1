using Backprop.Data;

namespace Backprop.Tests.Data;

/// <summary>A DataLoader restored from its state dict hands out the same batches as the original.</summary>
public class DataLoaderStateTests
{
    private static DataLoader Make() => new(new TensorDataset(Tensor.FromArray(Enumerable.Range(0, 10).Select(i => (long)i).ToArray())), batchSize: 3, shuffle: true, seed: 4);

    private static List<long[]> Batches(DataLoader l, int max = int.MaxValue) => l.Take(max).Select(b => b[0].ToArray<long>()).ToList();

    [Fact]
    public void MidEpochState_ResumesAfterTheBatchesHandedOut()
    {
        var a = Make();
        var expected = Batches(a).Concat(Batches(a)).ToList(); // two epochs of 4 batches
        var b = Make();
        var seen = Batches(b);
        seen.AddRange(Batches(b, 2)); // stop after 2 batches of epoch 2
        var state = b.StateDict();
        Assert.Equal(2, state.Position);
        var c = Make();
        Batches(c); // c's own generator has moved on; the state must override it
        c.LoadStateDict(state);
        seen.AddRange(Batches(c));
        Assert.Equal(expected, seen);
        Assert.NotEqual(expected[0], expected[4]); // epochs really reshuffle
    }

    [Fact]
    public void LoadStateDict_PositionPastTheEnd_Throws()
    {
        var l = Make();
        var e = Assert.Throws<ArgumentException>(() => l.LoadStateDict(new DataLoaderState(l.StateDict().GeneratorState, 9)));
        Assert.Contains("4 batches per epoch", e.Message);
    }
}
