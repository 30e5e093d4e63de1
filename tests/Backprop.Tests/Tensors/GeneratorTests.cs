namespace Backprop.Tests.Tensors;

public class GeneratorTests
{
    [Fact]
    public void SharedBetweenThreads_EveryDrawComesFromTheOneSequence()
    {
        const int threads = 4, perThread = 20_000;
        var shared = new Generator(42);
        var drawn = new ulong[threads][];
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            var mine = new ulong[perThread];
            for (int i = 0; i < perThread; i++) mine[i] = shared.NextUInt64();
            drawn[t] = mine;
        });
        var reference = new Generator(42);
        var expected = Enumerable.Range(0, threads * perThread).Select(_ => reference.NextUInt64()).Order().ToArray();
        // Without the lock, racing updates of the state repeat or skip numbers of the sequence.
        Assert.Equal(expected, drawn.SelectMany(d => d).Order().ToArray());
    }
}
