using Backprop.NN;

namespace Backprop.Tests.NN;

public class ModuleTests
{
    private sealed class TwoLayer : Module
    {
        private readonly Linear fc1 = new(4, 3, generator: new Generator(1));
        private readonly Relu act = new();
        public Linear Fc2 { get; } = new(3, 2, generator: new Generator(2));
        public Parameter Scale { get; } = new(Tensor.Ones([1]));

        public override Tensor Forward(Tensor input) => Fc2.Forward(act.Forward(fc1.Forward(input))) * Scale;
    }

    [Fact]
    public void NamedParameters_UseDottedPyTorchNames()
    {
        var names = new TwoLayer().NamedParameters().Select(p => p.Name).ToArray();
        Assert.Equal(new[] { "scale", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias" }, names);
        var seq = new Sequential(new Linear(2, 3), new Tanh(), new Linear(3, 1, hasBias: false));
        Assert.Equal(new[] { "0.weight", "0.bias", "2.weight" }, seq.NamedParameters().Select(p => p.Name).ToArray());
        Assert.Equal(2 * 3 + 3 + 3, seq.ParameterCount);
        var list = new ModuleList(new Linear(1, 1), new Linear(1, 1));
        Assert.Equal(new[] { "0.weight", "0.bias", "1.weight", "1.bias" }, list.NamedParameters().Select(p => p.Name).ToArray());
    }

    [Fact]
    public void Linear_DefaultInitIsWithinOneOverSqrtFanIn()
    {
        var lin = new Linear(100, 50, generator: new Generator(4));
        double bound = 1 / Math.Sqrt(100);
        Assert.All(lin.Weight.ToArray(), v => Assert.InRange(v, -bound, bound));
        Assert.All(lin.Bias!.ToArray(), v => Assert.InRange(v, -bound, bound));
        // Uniform on ±bound has standard deviation bound/√3.
        Assert.InRange(lin.Weight.Std().Item(), 0.95 * bound / Math.Sqrt(3), 1.05 * bound / Math.Sqrt(3));
        Assert.Equal(lin.Weight.ToArray(), new Linear(100, 50, generator: new Generator(4)).Weight.ToArray());
    }

    [Fact]
    public void TrainEval_PropagateAndDropoutObeys()
    {
        var drop = new Dropout(0.5, new Generator(3));
        var model = new Sequential(new Linear(4, 4), drop);
        Assert.True(drop.IsTraining);
        var x = Tensor.Ones([1000]);
        var y = drop.Forward(x).ToArray();
        Assert.All(y, v => Assert.True(v == 0 || v == 2));
        Assert.InRange(y.Count(v => v == 0), 430, 570);
        model.Eval();
        Assert.False(drop.IsTraining);
        Assert.Same(x, drop.Forward(x));
        model.Train();
        Assert.True(drop.IsTraining);
    }

    [Fact]
    public void StateDict_RoundTripAndStrictErrors()
    {
        var a = new Sequential(new Linear(3, 2, generator: new Generator(1)));
        var b = new Sequential(new Linear(3, 2, generator: new Generator(2)));
        b.LoadStateDict(a.StateDict());
        Assert.Equal(a.Parameters().SelectMany(p => p.ToArray()), b.Parameters().SelectMany(p => p.ToArray()));

        var wrong = new Dictionary<string, Tensor> { ["0.weight"] = Tensor.Zeros([2, 4]), ["0.bias"] = Tensor.Zeros([2]) };
        var ex = Assert.Throws<ArgumentException>(() => b.LoadStateDict(wrong));
        Assert.Contains("0.weight", ex.Message);
        Assert.Contains("[2, 4]", ex.Message);
        Assert.Contains("[2, 3]", ex.Message);

        var keys = new Dictionary<string, Tensor> { ["0.weight"] = Tensor.Zeros([2, 3]), ["extra"] = Tensor.Zeros([1]) };
        var ex2 = Assert.Throws<ArgumentException>(() => b.LoadStateDict(keys));
        Assert.Contains("missing keys: 0.bias", ex2.Message);
        Assert.Contains("unexpected keys: extra", ex2.Message);
        b.LoadStateDict(new Dictionary<string, Tensor> { ["0.weight"] = Tensor.Zeros([2, 3]) }, strict: false);
        Assert.All(((Linear)b[0]).Weight.ToArray(), v => Assert.Equal(0.0, v));
    }

    [Fact]
    public void Activations_MatchFunctionalAndToStringLooksLikePyTorch()
    {
        var x = Tensor.FromArray(new[] { -1.0, 0.5, 30.0 });
        Assert.Equal(new[] { Math.Exp(-1) - 1, 0.5, 30 }, new Elu().Forward(x).ToArray(), new Autograd.Tol(1e-15));
        Assert.Equal(new[] { Math.Log(1 + Math.Exp(-1)), Math.Log(1 + Math.Exp(0.5)), 30 }, new Softplus().Forward(x).ToArray(), new Autograd.Tol(1e-15));
        Assert.Equal("Sequential(\n  (0): Linear(in_features=2, out_features=3, bias=True)\n  (1): Relu()\n)",
            new Sequential(new Linear(2, 3), new Relu()).ToString());
    }

    [Fact]
    public void EluAndSoftplus_GradCheck()
    {
        var x = Tensor.FromArray(new[] { -1.3, -0.2, 0.4, 2.5, 50 }).RequiresGrad_();
        Assert.True(GradCheck.Check(v => Functional.Elu(v[0], 0.7), [x]));
        Assert.True(GradCheck.Check(v => v[0].Softplus(2, 10), [x]));
        Assert.True(GradCheck.Check(v => v[0].LogSigmoid(), [x]));
        // At exactly 0 the logits loss has the true derivative sigmoid(0) − y = 0.5 − y.
        var z = Tensor.Zeros([1], DType.Float64, requiresGrad: true);
        Functional.BceWithLogitsLoss(z, Tensor.Zeros([1], DType.Float64)).Backward();
        Assert.Equal(0.5, z.Grad!.Item(), 12);
    }

    [Fact]
    public void InitFunctions()
    {
        var w = Tensor.Zeros([200, 100]);
        Init.XavierUniform(w, generator: new Generator(1));
        double bound = Math.Sqrt(6.0 / 300);
        Assert.All(w.ToArray(), v => Assert.InRange(v, -bound, bound));
        Init.KaimingNormal(w, nonlinearity: "relu", generator: new Generator(1));
        Assert.InRange(w.Std().Item(), 0.95 * Math.Sqrt(2.0 / 100), 1.05 * Math.Sqrt(2.0 / 100));
        Init.XavierNormal(w, generator: new Generator(2));
        Assert.InRange(w.Std().Item(), 0.95 * Math.Sqrt(2.0 / 300), 1.05 * Math.Sqrt(2.0 / 300));
        Init.Constant(w, 0.25);
        Assert.All(w.ToArray(), v => Assert.Equal(0.25, v));
        Assert.Equal(5.0 / 3, Init.CalculateGain("tanh"));
        Assert.Throws<ArgumentException>(() => Init.XavierUniform(Tensor.Zeros([3])));
    }
}
