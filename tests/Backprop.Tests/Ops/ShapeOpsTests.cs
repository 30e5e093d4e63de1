namespace Backprop.Tests.Ops;

public class ShapeOpsTests
{
    private static Tensor M() => Tensor.Arange(0.0, 6.0, 1.0).Reshape([2, 3]); // [[0,1,2],[3,4,5]]

    [Fact]
    public void Views_ShareStorage()
    {
        var x = M();
        var views = new[] { x.Reshape([3, 2]), x.View([6]), x.Transpose(), x.Permute(1, 0), x.Unsqueeze(0), x.Narrow(1, 1, 2), x.Select(0, 1), x.Slice(1, 0, null, 2), x[1] };
        x.Fill_(7);
        foreach (var v in views) Assert.All(v.ToArray(), e => Assert.Equal(7.0, e));
    }

    [Fact]
    public void Transpose_IsNonContiguousAndReadsCorrectly()
    {
        var t = M().Transpose();
        Assert.False(t.IsContiguous);
        Assert.Equal(new[] { 3, 2 }, t.Shape.ToArray());
        Assert.Equal(new[] { 0.0, 3, 1, 4, 2, 5 }, t.ToArray());
        Assert.Equal(new[] { 0.0, 3, 1, 4, 2, 5 }, t.Reshape([-1]).ToArray());
        Assert.Throws<InvalidOperationException>(() => t.View([6]));
        Assert.True(t.Contiguous().IsContiguous);
    }

    [Fact]
    public void Permute_Squeeze_Unsqueeze_Expand_Flatten()
    {
        var x = Tensor.Zeros([2, 1, 3]);
        Assert.Equal(new[] { 3, 2, 1 }, x.Permute(2, 0, 1).Shape.ToArray());
        Assert.Equal(new[] { 2, 3 }, x.Squeeze().Shape.ToArray());
        Assert.Equal(new[] { 2, 3 }, x.Squeeze(1).Shape.ToArray());
        Assert.Equal(new[] { 2, 1, 3 }, x.Squeeze(0).Shape.ToArray());
        Assert.Equal(new[] { 2, 1, 3, 1 }, x.Unsqueeze(-1).Shape.ToArray());
        Assert.Equal(new[] { 4, 2, 5, 3 }, x.Expand([4, 2, 5, 3]).Shape.ToArray());
        Assert.Equal(new[] { 2, 3 }, x.Flatten(1).Shape.ToArray());
        Assert.Equal(new[] { 6 }, x.Flatten().Shape.ToArray());
        var row = Tensor.FromArray(new[] { 1.0, 2.0 }).Expand([3, 2]);
        Assert.Equal(new[] { 1.0, 2, 1, 2, 1, 2 }, row.ToArray());
    }

    [Fact]
    public void BadShapes_GiveClearErrors()
    {
        var x = M();
        Assert.Contains("[4, -1]", Assert.Throws<ArgumentException>(() => x.Reshape([4, -1])).Message);
        Assert.Contains("[2, 3]", Assert.Throws<ArgumentException>(() => x.Expand([3, 3])).Message);
        Assert.Contains("out of range", Assert.Throws<ArgumentOutOfRangeException>(() => x.Sum(2)).Message);
        Assert.Throws<ArgumentException>(() => x.Permute(0, 0));
        Assert.Throws<IndexOutOfRangeException>(() => x.Select(0, 2));
    }

    [Fact]
    public void Slicing_FollowsPythonRules()
    {
        var v = Tensor.Arange(0.0, 10.0, 1.0);
        Assert.Equal(new[] { 7.0, 8, 9 }, v.Slice(0, -3).ToArray());
        Assert.Equal(new[] { 1.0, 4, 7 }, v.Slice(0, 1, 9, 3).ToArray());
        Assert.Equal(new[] { 8.0, 9 }, v.Slice(0, 8, 100).ToArray());
        Assert.Empty(v.Slice(0, 5, 2).ToArray());
        Assert.Equal(9.0, v[-1].Item());
    }

    [Fact]
    public void Broadcasting_MismatchNamesBothShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Ones([2, 3]) + Tensor.Ones([4]));
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Contains("[4]", ex.Message);
        Assert.Contains("Add", ex.Message);
    }

    [Fact]
    public void Broadcasting_Values()
    {
        var col = Tensor.FromArray(new[] { 10.0, 20.0 }).Reshape([2, 1]);
        var row = Tensor.FromArray(new[] { 1.0, 2.0, 3.0 });
        Assert.Equal(new[] { 11.0, 12, 13, 21, 22, 23 }, (col + row).ToArray());
        Assert.Equal(new[] { 9.0, 8, 7, 19, 18, 17 }, (col - row).ToArray());
        Assert.Equal(new[] { 2.0, 4, 6 }, (2 * row).ToArray());
        Assert.Equal(new[] { 1.0, 0.5, 1.0 / 3 }, (1 / row).ToArray(), new Autograd.Tol(1e-12));
        Assert.Equal(new[] { 0.0, 1, 1 }, (row > 1.5).ToArray());
        Assert.Equal(new[] { 1.0, 1, 0 }, (row <= 2).ToArray());
    }

    [Fact]
    public void Int64Arithmetic_StaysIntegerExceptTrueDivision()
    {
        var a = Tensor.FromArray(new long[] { 3, 4 });
        Assert.Equal(DType.Int64, (a + a).DType);
        Assert.Equal(new long[] { 9, 16 }, (a * a).ToArray<long>());
        var q = a / Tensor.FromArray(new long[] { 2, 2 });
        Assert.Equal(DType.Float32, q.DType);
        Assert.Equal(new[] { 1.5, 2.0 }, q.ToArray());
        Assert.Equal(DType.Float32, (a * 0.5).DType);
        Assert.Equal(1L, a.Eq(Tensor.FromArray(new long[] { 3, 5 })).Sum().Item<long>());
        Assert.Throws<InvalidOperationException>(() => a.Exp());
        Assert.Throws<InvalidOperationException>(() => a.Mean());
    }

    [Fact]
    public void IntegerInPlaceDivision_Truncates_AndAZeroDivisorThrowsNamingIt()
    {
        var a = Tensor.FromArray(new long[] { 7, -7, 9 });
        a.Div_(Tensor.FromArray(new long[] { 2, 2, 3 }));
        Assert.Equal(new long[] { 3, -3, 3 }, a.ToArray<long>()); // toward zero, as rounding_mode="trunc"
        var e = Assert.Throws<DivideByZeroException>(() => a.Div_(Tensor.FromArray(new long[] { 1, 0, 0 })));
        Assert.Contains("Div_", e.Message);
        Assert.Contains("2 zero element(s)", e.Message);
        Assert.Contains("flat index 1", e.Message);
        Assert.Equal(new long[] { 3, -3, 3 }, a.ToArray<long>()); // checked before anything is written
        var f = Tensor.FromArray(new float[] { 1, 2 });
        f.Div_(Tensor.FromArray(new float[] { 0, 4 })); // floating point: IEEE, no error
        Assert.Equal(new[] { double.PositiveInfinity, 0.5 }, f.ToArray());
    }

    [Fact]
    public void InPlaceOps_BroadcastIntoTargetAndBumpVersion()
    {
        var x = Tensor.Zeros([2, 2]);
        x.Add_(Tensor.FromArray(new float[] { 1, 2 }));
        x.Mul_(3);
        x.Sub_(Tensor.Ones([2, 2]), alpha: 0.5);
        Assert.Equal(new[] { 2.5, 5.5, 2.5, 5.5 }, x.ToArray());
        Assert.Equal(3, x.Version);
        var view = x.Transpose();
        view.Add_(Tensor.FromArray(new float[] { 0, 10 }));
        Assert.Equal(new[] { 2.5, 5.5, 12.5, 15.5 }, x.ToArray());
        Assert.Throws<ArgumentException>(() => Tensor.Zeros([2]).Add_(Tensor.Ones([2, 2])));
    }
}
