using Backprop.NN;

namespace Backprop.Tests.NN;

/// <summary>The convolution and pooling modules: shapes, PyTorch's parameter names and initialisation bounds, and bad input.</summary>
public class ConvLayerTests
{
    [Fact]
    public void Conv2d_HasPyTorchsShapesNamesAndInitBounds()
    {
        var conv = new Conv2d(4, 6, kernelSize: (3, 2), padding: 1, groups: 2, generator: new Generator(0));
        Assert.Equal(new[] { 6, 2, 3, 2 }, conv.Weight.Shape.ToArray());
        Assert.Equal(new[] { "weight", "bias" }, conv.StateDict().Keys.ToArray());
        double bound = 1 / Math.Sqrt(2 * 3 * 2); // fan_in = in/groups · kh · kw
        Assert.All(conv.Weight.ToArray<float>(), v => Assert.InRange(v, -bound, bound));
        Assert.All(conv.Bias!.ToArray<float>(), v => Assert.InRange(v, -bound, bound));
        Assert.True(conv.Weight.ToArray<float>().Max() > bound / 2, "weights should spread over the bound");
        var y = conv.Forward(Tensor.Randn([3, 4, 7, 5], new Generator(1)));
        Assert.Equal(new[] { 3, 6, 7, 6 }, y.Shape.ToArray());
    }

    [Fact]
    public void ConvTranspose2d_UndoesConv2dShapes()
    {
        var down = new Conv2d(3, 8, 3, stride: 2, padding: 1);
        var up = new ConvTranspose2d(8, 3, 3, stride: 2, padding: 1, outputPadding: 1);
        Assert.Equal(new[] { 8, 3, 3, 3 }, up.Weight.Shape.ToArray());
        var x = Tensor.Randn([2, 3, 16, 16], new Generator(2));
        Assert.Equal(x.Shape.ToArray(), up.Forward(down.Forward(x)).Shape.ToArray());
    }

    [Fact]
    public void Conv1dAndPools_KeepPyTorchsShapes()
    {
        Assert.Equal(new[] { 2, 5, 10 }, new Conv1d(3, 5, 3, padding: "same").Forward(Tensor.Randn([2, 3, 10], new Generator(3))).Shape.ToArray());
        var image = Tensor.Randn([2, 3, 9, 9], new Generator(4));
        Assert.Equal(new[] { 2, 3, 4, 4 }, new MaxPool2d(2).Forward(image).Shape.ToArray());
        Assert.Equal(new[] { 2, 3, 5, 5 }, new MaxPool2d(2, ceilMode: true).Forward(image).Shape.ToArray());
        Assert.Equal(new[] { 2, 3, 5, 5 }, new AvgPool2d(3, stride: 2, padding: 1).Forward(image).Shape.ToArray());
        Assert.Equal(new[] { 2, 3, 1, 1 }, new AdaptiveAvgPool2d(1).Forward(image).Shape.ToArray());
        Assert.Equal(new[] { 2, 3, 4 }, new MaxPool1d(2).Forward(Tensor.Randn([2, 3, 9], new Generator(5))).Shape.ToArray());
        Assert.Equal(new[] { 2, 3, 4 }, new AvgPool1d(2).Forward(Tensor.Randn([2, 3, 9], new Generator(5))).Shape.ToArray());
    }

    [Fact]
    public void BadInput_NamesTheShapes()
    {
        var conv = new Conv2d(1, 4, 3);
        var three = Assert.Throws<ArgumentException>(() => conv.Forward(Tensor.Randn([1, 28, 28], new Generator(0))));
        Assert.Contains("expected a 4-D input [N, C, H, W], got shape [1, 28, 28]", three.Message);
        var big = Assert.Throws<ArgumentException>(() => new Conv2d(1, 2, 5).Forward(Tensor.Randn([1, 1, 3, 3], new Generator(0))));
        Assert.Contains("Kernel size can't be greater than actual input size", big.Message);
        Assert.Contains("[1, 1, 3, 3]", big.Message);
        var groups = Assert.Throws<ArgumentException>(() => new Conv2d(3, 4, 3, groups: 2));
        Assert.Contains("in_channels (3) must be divisible by groups (2)", groups.Message);
        var channels = Assert.Throws<ArgumentException>(() => conv.Forward(Tensor.Randn([2, 3, 8, 8], new Generator(0))));
        Assert.Contains("to have 1 channels, but got 3 channels instead", channels.Message);
        var strided = Assert.Throws<ArgumentException>(() => new Conv2d(1, 1, 3, stride: 2, padding: "same"));
        Assert.Contains("strided", strided.Message);
        var pad = Assert.Throws<ArgumentException>(() => new MaxPool2d(2, padding: 2).Forward(Tensor.Randn([1, 1, 6, 6], new Generator(0))));
        Assert.Contains("at most half", pad.Message);
        Assert.Throws<ArgumentException>(() => Functional.Conv2d(Tensor.Randn([1, 1, 4, 4], new Generator(0)), Tensor.Randn([1, 1, 2, 2], new Generator(0)), padding: "full"));
    }

    [Fact]
    public void Float32Conv_AndItsThreadedBatch_MatchFloat64PerImage()
    {
        var g = new Generator(9);
        var x64 = Tensor.Randn([9, 6, 12, 11], g, DType.Float64);
        var w64 = Tensor.Randn([8, 3, 3, 3], g, DType.Float64);
        var b64 = Tensor.Randn([8], g, DType.Float64);
        var x = x64.To(DType.Float32).RequiresGrad_();
        var w = w64.To(DType.Float32).RequiresGrad_();
        var b = b64.To(DType.Float32).RequiresGrad_();
        var y = Functional.Conv2d(x, w, b, padding: 1, groups: 2);
        var up = Tensor.Randn(y.Shape, g);
        (y * up).Sum().Backward();
        var wGrad = Tensor.Zeros([8, 3, 3, 3], DType.Float64);
        for (int i = 0; i < 9; i++)
        {
            // One image at a time in Float64, through the composed path (unfold + matmul) as a second implementation.
            var xi = x64.Narrow(0, i, 1).RequiresGrad_();
            var wi = w64.Detach().RequiresGrad_();
            var cols = Functional.Unfold(xi, 3, padding: 1).View([1, 2, 27, 132]);
            var yi = wi.Reshape([2, 4, 27]).MatMul(cols).Reshape([1, 8, 12, 11]) + b64.View([1, 8, 1, 1]);
            Reference.AssertClose(yi.ToArray<double>(), y.Narrow(0, i, 1).ToArray<double>(), 1e-4, 1e-4, $"image {i} output");
            (yi * up.Narrow(0, i, 1).To(DType.Float64)).Sum().Backward();
            Reference.AssertClose(xi.Grad!.ToArray<double>(), x.Grad!.Narrow(0, i, 1).ToArray<double>(), 1e-4, 1e-4, $"image {i} input grad");
            wGrad = wGrad + wi.Grad!;
        }
        Reference.AssertClose(wGrad.ToArray<double>(), w.Grad!.ToArray<double>(), 1e-3, 1e-4, "weight grad");
        Reference.AssertClose((up.To(DType.Float64)).Sum([0, 2, 3]).ToArray<double>(), b.Grad!.ToArray<double>(), 1e-3, 1e-4, "bias grad");
    }

    [Fact]
    public void MaxPool2x2FastPath_AgreesWithTheGeneralLoop()
    {
        // The fast path against an independent form: unfold the 2×2 windows and take Max over them.
        var x = Tensor.Randn([3, 4, 8, 10], new Generator(10), DType.Float64);
        var fast = Functional.MaxPool2d(x, 2);
        var viaUnfold = Functional.Unfold(x, 2, stride: 2).View([3, 4, 4, 20]).Max(2).View([3, 4, 4, 5]);
        Assert.Equal(viaUnfold.ToArray<double>(), fast.ToArray<double>());
        var withNaN = Tensor.FromArray(new double[] { 1, double.NaN, 3, 2 }).View([1, 1, 2, 2]).RequiresGrad_();
        var pooled = Functional.MaxPool2d(withNaN, 2);
        Assert.True(double.IsNaN(pooled.Item()));
        pooled.Sum().Backward();
        Assert.Equal(new double[] { 0, 1, 0, 0 }, withNaN.Grad!.ToArray<double>()); // NaN wins, as in PyTorch
    }
}
