using Backprop.NN;

namespace Backprop.Tests.NN;

/// <summary>Embedding, PReLU, Dropout2d, Upsample and the new losses as modules: initialisation, gradients, bad input.</summary>
public class EmbeddingAndLayersTests
{
    [Fact]
    public void Embedding_PaddingRowStartsAtZeroAndGetsNoGradient()
    {
        var emb = new Embedding(5, 3, paddingIdx: -1, generator: new Generator(3));
        Assert.Equal(4, emb.PaddingIdx);
        Assert.Equal([0.0, 0, 0], emb.Weight.Select(0, 4).ToArray());
        Assert.Equal(["weight"], emb.NamedParameters().Select(p => p.Name));
        var idx = Tensor.FromArray(new long[,] { { 4, 1 }, { 1, 4 } });
        var y = emb.Forward(idx);
        Assert.Equal([2, 2, 3], y.Shape.ToArray());
        y.Sum().Backward();
        var g = emb.Weight.Grad!;
        Assert.Equal([0.0, 0, 0], g.Select(0, 4).ToArray());
        Assert.Equal([2.0, 2, 2], g.Select(0, 1).ToArray());
        Assert.Equal([0.0, 0, 0], g.Select(0, 0).ToArray());
        Assert.Equal("Embedding(5, 3, padding_idx=4)", emb.ToString());
    }

    [Fact]
    public void Embedding_IndexOutOfRange_NamesIndexAndTable()
    {
        var emb = new Embedding(4, 2);
        var msg = Assert.Throws<ArgumentException>(() => emb.Forward(Tensor.FromArray(new long[] { 1, 7 }))).Message;
        Assert.Contains("index 7", msg);
        Assert.Contains("4 rows", msg);
        Assert.Contains("[4, 2]", msg);
        Assert.Contains("index -1", Assert.Throws<ArgumentException>(() => emb.Forward(Tensor.FromArray(new long[] { -1 }))).Message);
        Assert.Contains("Int64", Assert.Throws<ArgumentException>(() => emb.Forward(Tensor.FromArray(new float[] { 1 }))).Message);
        Assert.Contains("paddingIdx 4", Assert.Throws<ArgumentException>(() => new Embedding(4, 2, paddingIdx: 4)).Message);
    }

    [Fact]
    public void PRelu_LearnsOneSlopePerChannel()
    {
        var prelu = new PRelu(3);
        Assert.Equal([0.25, 0.25, 0.25], prelu.Weight.ToArray());
        var x = Tensor.FromArray(new float[,] { { -2, 1, -4 } });
        var y = prelu.Forward(x);
        Assert.Equal([-0.5, 1, -1], y.ToArray());
        y.Sum().Backward();
        Assert.Equal([-2.0, 0, -4], prelu.Weight.Grad!.ToArray());
        Assert.Contains("[1, 2]", Assert.Throws<ArgumentException>(() => prelu.Forward(Tensor.Zeros([1, 2]))).Message);
    }

    [Fact]
    public void Hardtanh_GradientOnlyStrictlyInside()
    {
        var x = Tensor.FromArray(new double[] { -1, -0.5, 1, 2 }).RequiresGrad_();
        var y = new Hardtanh().Forward(x);
        Assert.Equal([-1.0, -0.5, 1, 1], y.ToArray());
        y.Sum().Backward();
        Assert.Equal([0.0, 1, 0, 0], x.Grad!.ToArray());
    }

    [Fact]
    public void Dropout2d_DropsWholeChannels()
    {
        var d = new Dropout2d(0.5, seed: 4);
        var y = d.Forward(Tensor.Ones([4, 6, 3, 3])).Reshape([24, 9]).ToArray();
        var channels = Enumerable.Range(0, 24).Select(c => y.Skip(c * 9).Take(9).Distinct().Single()).ToArray();
        Assert.All(channels, v => Assert.True(v == 0 || v == 2));
        Assert.Contains(0.0, channels);
        Assert.Contains(2.0, channels);
        d.Eval();
        Assert.Equal(Enumerable.Repeat(1.0, 9), d.Forward(Tensor.Ones([1, 1, 3, 3])).ToArray());
        Assert.Contains("[2, 3]", Assert.Throws<ArgumentException>(() => Functional.Dropout2d(Tensor.Ones([2, 3]))).Message);
    }

    [Fact]
    public void Upsample_BadArguments_AreRejected()
    {
        Assert.Throws<ArgumentException>(() => new Upsample(size: [2], scaleFactor: [2]));
        Assert.Throws<ArgumentException>(() => new Upsample(size: [4], mode: "bilinear"));
        Assert.Contains("[3, 4]", Assert.Throws<ArgumentException>(() => new Upsample(2.0).Forward(Tensor.Zeros([3, 4]))).Message);
    }

    [Fact]
    public void TwoInputModules_ExplainTheirForward()
    {
        Assert.Contains("Forward(input1, input2)", Assert.Throws<InvalidOperationException>(() => new CosineSimilarity().Forward(Tensor.Zeros([2]))).Message);
        Assert.Contains("target", Assert.Throws<InvalidOperationException>(() => new MarginRankingLoss().Forward(Tensor.Zeros([2]))).Message);
        Assert.Contains("[3]", Assert.Throws<ArgumentException>(() => Functional.CosineEmbeddingLoss(Tensor.Zeros([2, 4]), Tensor.Zeros([2, 4]), Tensor.Zeros([3]))).Message);
    }
}
