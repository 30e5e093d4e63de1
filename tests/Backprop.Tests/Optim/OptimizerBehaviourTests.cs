using Backprop.NN;
using Backprop.Optim;

namespace Backprop.Tests.Optim;

public class OptimizerBehaviourTests
{
    private static Tensor P() => Tensor.Ones([2], requiresGrad: true);

    [Fact]
    public void InvalidHyperParameters_ThrowWithPyTorchMeaning()
    {
        Assert.Contains("Invalid learning rate", Assert.Throws<ArgumentException>(() => new Sgd([P()], lr: -1)).Message);
        Assert.Contains("Invalid momentum", Assert.Throws<ArgumentException>(() => new Sgd([P()], momentum: -0.1)).Message);
        Assert.Contains("Nesterov", Assert.Throws<ArgumentException>(() => new Sgd([P()], nesterov: true)).Message);
        Assert.Contains("Nesterov", Assert.Throws<ArgumentException>(() => new Sgd([P()], momentum: 0.9, dampening: 0.1, nesterov: true)).Message);
        Assert.Contains("beta parameter at index 0", Assert.Throws<ArgumentException>(() => new Adam([P()], betas: (1.0, 0.999))).Message);
        Assert.Contains("beta parameter at index 1", Assert.Throws<ArgumentException>(() => new AdamW([P()], betas: (0.9, -0.1))).Message);
        Assert.Contains("epsilon", Assert.Throws<ArgumentException>(() => new RmsProp([P()], eps: -1)).Message);
        Assert.Contains("weight_decay", Assert.Throws<ArgumentException>(() => new Adagrad([P()], weightDecay: -1)).Message);
        Assert.Contains("lr_decay", Assert.Throws<ArgumentException>(() => new Adagrad([P()], lrDecay: -1)).Message);
        Assert.Contains("non-leaf", Assert.Throws<ArgumentException>(() => new Sgd([P() * 2])).Message);
        var p = P();
        var opt = new Sgd([p]);
        Assert.Contains("more than one", Assert.Throws<ArgumentException>(() => opt.AddParamGroup([p])).Message);
        Assert.Contains("Unknown hyper-parameter", Assert.Throws<ArgumentException>(() => opt.AddParamGroup([P()], new Dictionary<string, double> { ["betas"] = 1 })).Message);
    }

    [Fact]
    public void ZeroGrad_SetsToNullOrZeroes()
    {
        var p = P();
        var opt = new Sgd([p], lr: 0.1);
        (p * p).Sum().Backward();
        opt.ZeroGrad(setToNone: false);
        Assert.Equal(new[] { 0.0, 0.0 }, p.Grad!.ToArray());
        opt.ZeroGrad();
        Assert.Null(p.Grad);
        opt.Step(); // no gradient: no change
        Assert.Equal(new[] { 1.0, 1.0 }, p.ToArray());
    }

    [Fact]
    public void StateDictRoundTrip_ResumesToIdenticalParameters()
    {
        var gen = new Generator(3);
        var x = Tensor.Randn([16, 5], gen);
        var y = Tensor.RandInt(0, 3, [16], gen);
        Module MakeModel() => new Sequential(new Linear(5, 8, generator: new Generator(1)), new Tanh(), new Linear(8, 3, generator: new Generator(2)));
        void Train(Module m, Optimizer o, int steps)
        {
            for (int i = 0; i < steps; i++)
            {
                o.ZeroGrad();
                Functional.CrossEntropy(m.Forward(x), y).Backward();
                o.Step();
            }
        }

        var straight = MakeModel();
        var straightOpt = new Adam(straight.Parameters(), lr: 0.05, amsgrad: true);
        Train(straight, straightOpt, 10);

        var first = MakeModel();
        var firstOpt = new Adam(first.Parameters(), lr: 0.05, amsgrad: true);
        Train(first, firstOpt, 4);
        var modelState = first.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Clone());
        var optState = firstOpt.StateDict();
        Train(first, firstOpt, 3); // changes after the snapshot must not leak into it

        var resumed = MakeModel();
        resumed.LoadStateDict(modelState);
        var resumedOpt = new Adam(resumed.Parameters(), lr: 0.05, amsgrad: true);
        resumedOpt.LoadStateDict(optState);
        Train(resumed, resumedOpt, 6);

        foreach (var ((name, a), (_, b)) in straight.NamedParameters().Zip(resumed.NamedParameters()))
            Assert.True(a.ToArray().SequenceEqual(b.ToArray()), $"{name} differs after resuming");
    }

    [Fact]
    public void LoadStateDict_WithWrongGroupSize_Throws()
    {
        var opt = new Sgd([P(), P()], momentum: 0.9);
        var other = new Sgd([P()], momentum: 0.9);
        Assert.Throws<ArgumentException>(() => other.LoadStateDict(opt.StateDict()));
    }

    [Fact]
    public void ClipGradNorm_ScalesToMaxNormAndReturnsTotal()
    {
        var a = Tensor.Zeros([2], requiresGrad: true);
        var b = Tensor.Zeros([1], requiresGrad: true);
        a.Grad = Tensor.FromArray(new float[] { 3, 0 });
        b.Grad = Tensor.FromArray(new float[] { 4 });
        double total = ClipGrad.Norm([a, b], maxNorm: 1);
        Assert.Equal(5.0, total, 6);
        Assert.Equal(new[] { 0.6, 0, 0.8 }, [.. a.Grad.ToArray(), .. b.Grad.ToArray()], new Autograd.Tol(1e-6));
        Assert.Equal(0.8, ClipGrad.Norm([a, b], maxNorm: 10, normType: double.PositiveInfinity), 6);
        ClipGrad.Value([a, b], 0.7);
        Assert.Equal(new[] { 0.6, 0, 0.7 }, [.. a.Grad.ToArray(), .. b.Grad.ToArray()], new Autograd.Tol(1e-6));
    }

    [Theory]
    [InlineData(0.1, new[] { 1, 1.9, 2.89, 3.889, 4.8889 })]
    [InlineData(0.9, new[] { 1, 1.1, 1.29, 1.561, 1.9049 })]
    public void ExponentialMovingAverage_TutorialTables(double beta, double[] expected)
    {
        var ema = new ExponentialMovingAverage(beta);
        var values = new[] { 1.0, 2, 3, 4, 5 }.Select(ema.Update).ToArray();
        Assert.Equal(expected, values, new Autograd.Tol(1e-12));
    }

    [Fact]
    public void ExponentialMovingAverage_BiasCorrection()
    {
        var ema = new ExponentialMovingAverage(0.9, biasCorrection: true);
        Assert.Equal(1.0, ema.Update(1), 12);
        // v2 = 0.9·0.1 + 0.1·2 = 0.29, corrected by 1 − 0.81
        Assert.Equal(0.29 / 0.19, ema.Update(2), 12);
    }

    [Fact]
    public void AveragedModel_EmaAndEqualAverage()
    {
        var model = new Linear(1, 1, generator: new Generator(0));
        var ema = new AveragedModel(emaDecay: 0.5);
        var swa = new AveragedModel();
        var weights = new[] { 1.0, 3.0, 7.0 };
        foreach (var w in weights)
        {
            using (Backprop.Autograd.NoGrad()) model.Weight.Fill_(w);
            ema.UpdateParameters(model);
            swa.UpdateParameters(model);
        }
        Assert.Equal(3, swa.NumAveraged);
        Assert.Equal((1 + 3 + 7) / 3.0, swa.StateDict()["weight"].Item(), 6);
        Assert.Equal(0.5 * (0.5 * 1 + 0.5 * 3) + 0.5 * 7, ema.StateDict()["weight"].Item(), 6);
        var target = new Linear(1, 1);
        ema.CopyTo(target);
        Assert.Equal(4.5, target.Weight.Item(), 6);
    }
}
