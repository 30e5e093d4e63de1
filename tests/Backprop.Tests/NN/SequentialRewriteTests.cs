using Backprop.NN;

namespace Backprop.Tests.NN;

/// <summary>
/// <see cref="Sequential.PoolBeforeRelu"/>: a ReLU followed by a max-pool runs as pool, then ReLU, with the same values
/// and gradients bit for bit as the written order — on ties, all-negative windows, signed zeros and NaN.
/// </summary>
public class SequentialRewriteTests
{
    /// <summary>[2, 2, 4, 6] values with every awkward window: ties of a positive maximum, all negative, zeros of both signs, NaN.</summary>
    private static double[] Awkward(int seed)
    {
        var g = new Generator(seed);
        var v = Tensor.Randn([2 * 2 * 4 * 6], g, DType.Float64).ToArray<double>();
        v[0] = v[1] = v[6] = 0.75;                      // a 2×2 window whose maximum appears three times
        v[2] = -1; v[3] = -2; v[8] = -0.5; v[9] = -3;   // a window with no positive value
        v[4] = 0.0; v[5] = -0.0; v[10] = -0.0; v[11] = -1;
        v[30] = double.NaN;                             // NaN wins its window and keeps no gradient
        v[40] = v[41] = -0.25; v[46] = v[47] = -0.25;   // ties below zero
        return v;
    }

    private static (double[] Output, double[] InputGrad) Run(Sequential net, double[] values, double[] upstream, DType dtype)
    {
        var x = Tensor.FromArray(values, [2, 2, 4, 6]).To(dtype).RequiresGrad_();
        var y = net.Forward(x);
        (y * Tensor.FromArray(upstream, y.Shape).To(dtype)).Sum().Backward();
        return (y.To(DType.Float64).ToArray<double>(), x.Grad!.To(DType.Float64).ToArray<double>());
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void ReluThenPoolIsUnchangedBitForBit(DType dtype)
    {
        var values = Awkward(1);
        var upstream = Tensor.Randn([2 * 2 * 2 * 3], new Generator(2), DType.Float64).ToArray<double>();
        var swapped = Run(new Sequential(new Relu(), new MaxPool2d(2)), values, upstream, dtype);
        var written = Run(new Sequential(new Relu(), new MaxPool2d(2)) { PoolBeforeRelu = false }, values, upstream, dtype);
        Assert.Equal(Bits(written.Output), Bits(swapped.Output));
        Assert.Equal(Bits(written.InputGrad), Bits(swapped.InputGrad));
        Assert.True(double.IsNaN(swapped.Output[6])); // values[30] is channel 1's (1, 0): its first window
        Assert.Equal(0.0, swapped.InputGrad[30]); // the NaN's window passes no gradient, as ReLU's backward gives none there
    }

    [Fact]
    public void PoolWithPaddingAndCeilModeIsUnchangedBitForBit()
    {
        var values = Awkward(3);
        Sequential Net() => new(new Relu(), new MaxPool2d(3, stride: 2, padding: 1, ceilMode: true));
        int outputs = 2 * 2 * 3 * 4;
        var upstream = Tensor.Randn([outputs], new Generator(4), DType.Float64).ToArray<double>();
        var swapped = Run(Net(), values, upstream, DType.Float32);
        var written = Run(WithWritten(Net()), values, upstream, DType.Float32);
        Assert.Equal(outputs, swapped.Output.Length);
        Assert.Equal(Bits(written.Output), Bits(swapped.Output));
        Assert.Equal(Bits(written.InputGrad), Bits(swapped.InputGrad));
    }

    [Fact]
    public void ConvNetTrainsIdenticallyEitherWay()
    {
        static Sequential Net() => new(
            new Conv2d(1, 4, 3, padding: 1, generator: new Generator(5)), new Relu(), new MaxPool2d(2),
            new Conv2d(4, 6, 3, padding: 1, generator: new Generator(6)), new Relu(), new MaxPool2d(2),
            new Flatten(), new Linear(6 * 2 * 2, 3, generator: new Generator(7)));
        var x = Tensor.Randn([5, 1, 9, 10], new Generator(8));
        var target = Tensor.FromArray(new long[] { 0, 2, 1, 1, 0 }, [5]);
        float[][] Train(Sequential net)
        {
            var opt = new Backprop.Optim.Adam(net.Parameters(), lr: 0.05);
            for (int step = 0; step < 4; step++)
            {
                opt.ZeroGrad();
                new CrossEntropyLoss().Forward(net.Forward(x), target).Backward();
                opt.Step();
            }
            return net.Parameters().Select(p => p.ToArray<float>()).ToArray();
        }
        var swapped = Train(Net());
        var written = Train(WithWritten(Net()));
        Assert.Equal(written.Length, swapped.Length);
        for (int i = 0; i < written.Length; i++) Assert.Equal(written[i], swapped[i]);
    }

    public static TheoryData<string, DType> ConvCases() => new()
    {
        { "first layer (input without grad)", DType.Float32 },
        { "first layer (input without grad)", DType.Float64 },
        { "input with grad", DType.Float32 },
        { "input with grad", DType.Float64 },
        { "groups, no bias, odd sizes, one image", DType.Float32 },
        { "few channels (composed backward)", DType.Float32 },
        { "3x3 pool (separate nodes)", DType.Float32 },
    };

    [Theory]
    [MemberData(nameof(ConvCases))]
    public void ConvReluPoolIsUnchangedBitForBit(string name, DType dtype)
    {
        var (shape, net) = name switch
        {
            "groups, no bias, odd sizes, one image" => (new[] { 1, 4, 7, 10 }, (Func<Sequential>)(() => new Sequential(
                new Conv2d(4, 8, 3, padding: 1, groups: 2, hasBias: false, generator: new Generator(11), dtype: dtype), new Relu(), new MaxPool2d(2)))),
            "few channels (composed backward)" => (new[] { 2, 1, 6, 8 }, () => new Sequential(
                new Conv2d(1, 2, 3, padding: 1, generator: new Generator(12), dtype: dtype), new Relu(), new MaxPool2d(2))),
            "3x3 pool (separate nodes)" => (new[] { 2, 3, 9, 9 }, () => new Sequential(
                new Conv2d(3, 8, 3, padding: 1, generator: new Generator(13), dtype: dtype), new Relu(), new MaxPool2d(3, stride: 2))),
            _ => (new[] { 3, name.StartsWith("first") ? 1 : 5, 10, 20 }, () => new Sequential(
                new Conv2d(name.StartsWith("first") ? 1 : 5, 16, 3, padding: 1, generator: new Generator(14), dtype: dtype), new Relu(), new MaxPool2d(2))),
        };
        bool inputGrad = !name.StartsWith("first");
        var x = Tensor.Randn(shape, new Generator(15), dtype);
        (long[] Out, long[][] Grads) Run(Sequential m)
        {
            var xi = inputGrad ? x.Detach().RequiresGrad_() : x;
            var y = m.Forward(xi);
            (y * Tensor.Randn(y.Shape, new Generator(16), dtype)).Sum().Backward();
            var grads = m.Parameters().Select(p => p.Grad!).Concat(inputGrad ? [xi.Grad!] : []).Select(g => Bits(g.To(DType.Float64).ToArray<double>())).ToArray();
            return (Bits(y.To(DType.Float64).ToArray<double>()), grads);
        }
        var fused = net();
        var node = fused.Forward(x).GradFn!.Name;
        Assert.Equal(name.StartsWith("3x3") ? "ReluBackward" : "ConvolutionReluMaxPool2DBackward", node.TrimEnd('0'));
        var a = Run(fused);
        var b = Run(WithWritten(net()));
        Assert.Equal(b.Out, a.Out);
        Assert.Equal(b.Grads.Length, a.Grads.Length);
        for (int i = 0; i < a.Grads.Length; i++) Assert.Equal(b.Grads[i], a.Grads[i]);
    }

    [Fact]
    public void FusedConvReluPoolPassesGradCheck()
    {
        var conv = new Conv2d(2, 3, 3, padding: 1, generator: new Generator(17), dtype: DType.Float64);
        var net = new Sequential(conv, new Relu(), new MaxPool2d(2));
        var x = Tensor.Randn([2, 2, 4, 6], new Generator(18), DType.Float64).RequiresGrad_();
        Assert.Equal("ConvolutionReluMaxPool2DBackward", net.Forward(x).GradFn!.Name);
        Assert.True(GradCheck.Check(i => net.Forward(i[0]), [x]));
        Assert.True(GradCheck.CheckSecondOrder(i => net.Forward(i[0]), [x]));
        Assert.True(GradCheck.Check(i => Functional.MaxPool2d(Functional.Conv2d(x, i[0], i[1], padding: 1).Relu(), 2),
            [conv.Weight.Detach().RequiresGrad_(), conv.Bias!.Detach().RequiresGrad_()]));
    }

    [Fact]
    public void GraphShowsTheOrderThatRan()
    {
        var x = Tensor.Randn([1, 1, 4, 4], new Generator(9)).RequiresGrad_();
        Assert.Equal("MaxPool2DReluBackward", new Sequential(new Relu(), new MaxPool2d(2)).Forward(x).GradFn!.Name);
        Assert.StartsWith("ReluBackward", new Sequential(new Relu(), new MaxPool2d(3, stride: 2)).Forward(x).GradFn!.Name);
        Assert.StartsWith("MaxPool2D", WithWritten(new Sequential(new Relu(), new MaxPool2d(2))).Forward(x).GradFn!.Name);
        // Only a ReLU directly before a max-pool moves: an average pool keeps the written order.
        Assert.DoesNotContain("Relu", new Sequential(new Relu(), new AvgPool2d(2)).Forward(x).GradFn!.Name);
    }

    [Fact]
    public void SwappedPairPassesGradCheck()
    {
        var net = new Sequential(new Relu(), new MaxPool2d(2));
        var x = Tensor.Randn([1, 2, 4, 6], new Generator(10), DType.Float64);
        Assert.True(GradCheck.Check(inputs => net.Forward(inputs[0]), [x.RequiresGrad_()]));
        Assert.True(GradCheck.CheckSecondOrder(inputs => net.Forward(inputs[0]), [x]));
        Assert.Equal("MaxPool2DReluBackward", net.Forward(x).GradFn!.Name); // the fused node is what was checked
    }

    private static Sequential WithWritten(Sequential net)
    {
        net.PoolBeforeRelu = false;
        return net;
    }

    private static long[] Bits(double[] values) => values.Select(BitConverter.DoubleToInt64Bits).ToArray();
}
