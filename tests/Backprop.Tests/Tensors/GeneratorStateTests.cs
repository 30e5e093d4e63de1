namespace Backprop.Tests.Tensors;

/// <summary>Generator.GetState/SetState continue the same sequence, including a cached Box–Muller normal.</summary>
public class GeneratorStateTests
{
    [Fact]
    public void SetState_ContinuesTheSequence_IncludingTheCachedNormal()
    {
        var a = new Generator(7);
        a.NextNormal(); // leaves the second Box–Muller value cached
        var state = a.GetState();
        var expected = Enumerable.Range(0, 5).Select(_ => a.NextNormal()).Append(a.NextDouble()).ToArray();
        var b = new Generator(123).SetState(state);
        var actual = Enumerable.Range(0, 5).Select(_ => b.NextNormal()).Append(b.NextDouble()).ToArray();
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void SetState_RejectsWrongShapesAndZeroState()
    {
        Assert.Throws<ArgumentException>(() => new Generator().SetState(Tensor.Zeros([6])));
        Assert.Contains("all zeros", Assert.Throws<ArgumentException>(() => new Generator().SetState(Tensor.FromArray(new long[6]))).Message);
    }
}
