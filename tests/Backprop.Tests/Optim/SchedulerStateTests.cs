using Backprop.Optim;

namespace Backprop.Tests.Optim;

/// <summary>A scheduler restored from its state dict into a freshly built one continues the same learning rates.</summary>
public class SchedulerStateTests
{
    private static IScheduler Make(string name, Optimizer opt) => name switch
    {
        "step" => new StepLR(opt, 3, 0.5),
        "multistep" => new MultiStepLR(opt, [2, 5], 0.3),
        "exponential" => new ExponentialLR(opt, 0.9),
        "cosine" => new CosineAnnealingLR(opt, 6, 0.001),
        "linear" => new LinearLR(opt, 0.25, 1.0, 4),
        "sequential" => new SequentialLR(opt, [new LinearLR(opt, 0.5, 1, 3), new StepLR(opt, 2, 0.5)], [3]),
        "warmup_cosine" => LambdaLR.WarmupCosine(opt, 3, 10),
        _ => new ReduceLROnPlateau(opt, factor: 0.5, patience: 1, cooldown: 2),
    };

    private static readonly double[] Metrics = [5, 4, 4, 4, 4, 3, 3, 3, 3, 3, 3, 3];

    private static void Step(IScheduler s, int epoch)
    {
        if (s is ReduceLROnPlateau p) p.Step(Metrics[epoch]);
        else if (s is LRScheduler l) l.Step();
        else ((SequentialLR)s).Step();
    }

    [Theory]
    [InlineData("step")] [InlineData("multistep")] [InlineData("exponential")] [InlineData("cosine")]
    [InlineData("linear")] [InlineData("sequential")] [InlineData("plateau")] [InlineData("warmup_cosine")]
    public void ResumedScheduler_ContinuesTheSameLrs(string name)
    {
        var optA = new Sgd([Tensor.Zeros([1], requiresGrad: true)], lr: 0.1);
        var a = Make(name, optA);
        var straight = new List<double>();
        for (int e = 0; e < 12; e++) { Step(a, e); straight.Add(a.LastLr[0]); }

        var optB = new Sgd([Tensor.Zeros([1], requiresGrad: true)], lr: 0.1);
        var b = Make(name, optB);
        for (int e = 0; e < 5; e++) Step(b, e);
        var saved = b.StateDict();
        var savedOpt = optB.StateDict();

        var optC = new Sgd([Tensor.Zeros([1], requiresGrad: true)], lr: 0.1);
        var c = Make(name, optC);
        optC.LoadStateDict(savedOpt); // the lr itself travels with the optimizer, as in PyTorch
        c.LoadStateDict(saved);
        Assert.Equal(saved, c.StateDict());
        var resumed = straight.Take(5).ToList();
        for (int e = 5; e < 12; e++) { Step(c, e); resumed.Add(c.LastLr[0]); }
        Assert.Equal(straight, resumed);
        Assert.True(straight.Distinct().Count() > 2, "the schedule must change the lr for this test to mean anything");
    }

    [Fact]
    public void LoadStateDict_FromAnotherKind_SaysWhichKeyIsMissing()
    {
        var opt = new Sgd([Tensor.Zeros([1], requiresGrad: true)], lr: 0.1);
        var plateau = new ReduceLROnPlateau(opt);
        var e = Assert.Throws<ArgumentException>(() => plateau.LoadStateDict(new StepLR(opt, 2).StateDict()));
        Assert.Contains("\"best\"", e.Message);
    }
}
