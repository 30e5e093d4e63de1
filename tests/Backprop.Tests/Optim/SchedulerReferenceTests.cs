using System.Text.Json;
using Backprop.Optim;

namespace Backprop.Tests.Optim;

/// <summary>Learning rates over 30 epochs for each scheduler, against PyTorch's.</summary>
public class SchedulerReferenceTests
{
    private static readonly JsonElement Data = Reference.Load("schedulers.json");

    public static TheoryData<string> Names() => new(Data.GetProperty("cases").EnumerateArray().Select(c => c.GetProperty("name").GetString()!));

    [Theory]
    [MemberData(nameof(Names))]
    public void MatchesPyTorch(string name)
    {
        var c = Data.GetProperty("cases").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        var expected = c.GetProperty("lrs").Doubles();
        var opt = new Sgd([Tensor.Zeros([1], requiresGrad: true)], lr: 0.1);
        Action<int> step;
        switch (name)
        {
            case "step": { var s = new StepLR(opt, 7, 0.5); step = _ => s.Step(); break; }
            case "multistep": { var s = new MultiStepLR(opt, [3, 10, 10, 20], 0.3); step = _ => s.Step(); break; }
            case "exponential": { var s = new ExponentialLR(opt, 0.9); step = _ => s.Step(); break; }
            case "cosine": { var s = new CosineAnnealingLR(opt, 12, 0.001); step = _ => s.Step(); break; }
            case "linear": { var s = new LinearLR(opt, 0.25, 1.0, 8); step = _ => s.Step(); break; }
            case "lambda": { var s = new LambdaLR(opt, e => 1.0 / (1 + e)); step = _ => s.Step(); break; }
            case "warmup_cosine": { var s = LambdaLR.WarmupCosine(opt, 4, 24); step = _ => s.Step(); break; }
            case "warmup_cosine_cycles": { var s = LambdaLR.WarmupCosine(opt, 3, 20, numCycles: 1.5); step = _ => s.Step(); break; }
            case "sequential":
                {
                    var s = new SequentialLR(opt, [new LinearLR(opt, startFactor: 0.1, totalIters: 5), new CosineAnnealingLR(opt, 20)], [5]);
                    step = _ => s.Step();
                    break;
                }
            case "plateau":
                {
                    var s = new ReduceLROnPlateau(opt, factor: 0.5, patience: 2, cooldown: 1, minLr: 0.01);
                    var m = c.GetProperty("metrics").Doubles();
                    step = e => s.Step(m[e]);
                    break;
                }
            case "plateau_max_abs":
                {
                    var s = new ReduceLROnPlateau(opt, mode: "max", patience: 1, threshold: 0.05, thresholdMode: "abs");
                    var m = c.GetProperty("metrics").Doubles();
                    step = e => s.Step(m[e]);
                    break;
                }
            default: throw new ArgumentException(name);
        }
        var lrs = new List<double> { opt.ParamGroups[0].Lr };
        for (int e = 0; e < expected.Length - 1; e++)
        {
            step(e);
            lrs.Add(opt.ParamGroups[0].Lr);
        }
        Reference.AssertClose(expected, [.. lrs], 1e-12, 1e-12, name);
    }

    [Fact]
    public void InvalidSettings_Throw()
    {
        var opt = new Sgd([Tensor.Zeros([1], requiresGrad: true)], lr: 0.1);
        Assert.Throws<ArgumentException>(() => new StepLR(opt, 0));
        Assert.Throws<ArgumentException>(() => new ReduceLROnPlateau(opt, factor: 1.5));
        Assert.Throws<ArgumentException>(() => new ReduceLROnPlateau(opt, mode: "up"));
        Assert.Throws<ArgumentException>(() => new SequentialLR(opt, [new StepLR(opt, 2)], [3]));
        var e = Assert.Throws<ArgumentException>(() => LambdaLR.WarmupCosine(opt, 10, 5));
        Assert.Contains("numWarmupSteps=10, numTrainingSteps=5", e.Message);
        Assert.Throws<ArgumentException>(() => LambdaLR.WarmupCosine(opt, 1, 5, numCycles: 0));
    }
}
