namespace Backprop.Tests.Tensors;

/// <summary>ToString matches what PyTorch prints for the same values (expected strings were printed by PyTorch 1.13).</summary>
public class FormatTests
{
    [Theory]
    [InlineData(new[] { 1.0, 2.0, 3.0 }, "tensor([1., 2., 3.])")]
    [InlineData(new[] { 0.5, -1.25 }, "tensor([ 0.5000, -1.2500])")]
    [InlineData(new[] { 1e-5, 1.0 }, "tensor([1.0000e-05, 1.0000e+00])")]
    [InlineData(new[] { 1.0, 5000.0 }, "tensor([1.0000e+00, 5.0000e+03])")]
    [InlineData(new[] { 0.0, 0.0 }, "tensor([0., 0.])")]
    [InlineData(new[] { double.NaN, 1.5, double.PositiveInfinity }, "tensor([   nan, 1.5000,    inf])")]
    public void Float32Vectors(double[] values, string expected) =>
        Assert.Equal(expected, Tensor.FromArray(values).To(DType.Float32).ToString());

    [Fact]
    public void Float64_ShowsDtype() =>
        Assert.Equal("tensor([1.5000, 2.0000], dtype=torch.float64)", Tensor.FromArray(new[] { 1.5, 2.0 }).ToString());

    [Fact]
    public void Int64_PrintsIntegers() =>
        Assert.Equal("tensor([ 3, -1, 10])", Tensor.FromArray(new long[] { 3, -1, 10 }).ToString());

    [Fact]
    public void ThreeDimensional_BlankLineBetweenBlocks() =>
        Assert.Equal("tensor([[[0, 1],\n         [2, 3]],\n\n        [[4, 5],\n         [6, 7]]])", Tensor.Arange(8).Reshape([2, 2, 2]).ToString());

    [Fact]
    public void LongVector_WrapsAt80Columns()
    {
        var s = Tensor.Arange(0.0, 20.0, 1.0).ToString();
        Assert.Equal("tensor([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12., 13.,\n        14., 15., 16., 17., 18., 19.])", s);
    }

    [Fact]
    public void Large_IsSummarized() =>
        Assert.Equal("tensor([   0,    1,    2,  ..., 1997, 1998, 1999])", Tensor.Arange(2000).ToString());

    [Fact]
    public void LargeFloat_IsSummarizedInScientificNotationAndWrapped() =>
        Assert.Equal("tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n        1.9990e+03])",
            Tensor.Arange(0.0, 2000.0, 1.0).ToString());

    [Fact]
    public void HugeIntegerValuedFloats_UseScientificNotation() =>
        Assert.Equal("tensor([1.2346e+08, 1.0000e+00])", Tensor.FromArray(new[] { 123456789f, 1f }).ToString());

    [Fact]
    public void EmptyAndScalar()
    {
        Assert.Equal("tensor([])", Tensor.Zeros([0]).ToString());
        Assert.Equal("tensor([], size=(0, 3))", Tensor.Zeros([0, 3]).ToString());
        Assert.Equal("tensor(2.5000)", Tensor.Scalar(2.5).ToString());
    }
}
