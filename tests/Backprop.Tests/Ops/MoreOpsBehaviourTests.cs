using Backprop.NN;

namespace Backprop.Tests.Ops;

/// <summary>Dtypes, edge cases and errors of the issue #11 tensor ops (values against PyTorch are in OpsReferenceTests).</summary>
public class MoreOpsBehaviourTests
{
    [Fact]
    public void Int64_IsKeptWhereItMakesSense()
    {
        var x = Tensor.FromArray(new long[] { 3, -1, 4 });
        Assert.Equal(DType.Int64, x.CumSum(0).DType);
        Assert.Equal(-12, x.Prod().Item());
        Assert.Equal([-1L, 3, 4], x.Sort().Values.ToArray<long>());
        Assert.Equal(DType.Int64, x.Floor().DType);
        Assert.Equal(DType.Float32, x.Reciprocal().DType);
        Assert.Equal([0L, 0, 1, 0, 1, 0], Tensor.OneHot(Tensor.FromArray(new long[] { 2, 1 }), 3).ToArray<long>());
        Assert.Throws<InvalidOperationException>(() => x.Log1p());
    }

    [Fact]
    public void Round_HalvesToEven_InBothFloatTypes()
    {
        double[] v = [0.5, 1.5, 2.5, -2.5];
        Assert.Equal([0.0, 2, 2, -2], Tensor.FromArray(v).Round().ToArray());
        Assert.Equal([0.0, 2, 2, -2], Tensor.FromArray(v.Select(a => (float)a).ToArray()).Round().ToArray());
    }

    [Fact]
    public void Log1pAndExpm1_AreAccurateNearZero()
    {
        Assert.Equal(1e-18, Tensor.FromArray(new double[] { 1e-18 }).Log1p().Item(), 1e-30);
        Assert.Equal(1e-18, Tensor.FromArray(new double[] { 1e-18 }).Expm1().Item(), 1e-30);
    }

    [Fact]
    public void Sort_IsStableWithNaNLast()
    {
        var x = Tensor.FromArray(new double[] { 2, double.NaN, 1, 2, 1 });
        var (v, i) = x.Sort();
        Assert.Equal([1.0, 1, 2, 2, double.NaN], v.ToArray());
        Assert.Equal([2L, 4, 0, 3, 1], i.ToArray<long>());
        Assert.Equal([1L, 0, 3, 2, 4], x.ArgSort(descending: true).ToArray<long>());
    }

    [Fact]
    public void Norm_OfZeroVector_HasZeroGradient()
    {
        var x = Tensor.Zeros([3], DType.Float64, requiresGrad: true);
        x.Norm().Backward();
        Assert.Equal([0.0, 0, 0], x.Grad!.ToArray());
    }

    [Fact]
    public void BadArguments_NameShapesAndValues()
    {
        var x = Tensor.Zeros([2, 3]);
        Assert.Contains("k = 4", Assert.Throws<ArgumentOutOfRangeException>(() => x.TopK(4)).Message);
        Assert.Contains("[2, 3]", Assert.Throws<ArgumentException>(() => x.Repeat(2)).Message);
        Assert.Contains("size 3", Assert.Throws<ArgumentException>(() => Functional.Pad(x, [3, 0], PadMode.Reflect)).Message);
        Assert.Contains("even", Assert.Throws<ArgumentException>(() => Functional.Pad(x, [1])).Message);
        Assert.Contains("class index 3", Assert.Throws<ArgumentException>(() => Tensor.OneHot(Tensor.FromArray(new long[] { 3 }), 3)).Message);
        Assert.Contains("[3]", Assert.Throws<ArgumentException>(() => Tensor.Zeros([3]).Tril()).Message);
        Assert.Contains("[2, 3]", Assert.Throws<ArgumentException>(() => Tensor.Zeros([3]).MaskedFill(x, 1)).Message);
        Assert.Contains("p must be positive", Assert.Throws<ArgumentException>(() => x.Norm(0)).Message);
        Assert.Contains("appears twice", Assert.Throws<ArgumentException>(() => x.Mean([1, -1])).Message);
    }
}
