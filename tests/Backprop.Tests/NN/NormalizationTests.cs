using System.Text.Json;
using Backprop.NN;
using Backprop.Tests.Ops;

namespace Backprop.Tests.NN;

/// <summary>BatchNorm, LayerNorm and GroupNorm modules: PyTorch's numbers over several training steps, state dicts, bad input.</summary>
public class NormalizationTests
{
    private static JsonElement Run(string name) =>
        OpsReference.Data.GetProperty("batchnorm").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);

    public static TheoryData<string> RunNames() =>
        new(OpsReference.Data.GetProperty("batchnorm").EnumerateArray().Select(e => e.GetProperty("name").GetString()!));

    private static BatchNormBase Make(string name) => name switch
    {
        "bn2d" => new BatchNorm2d(3, dtype: DType.Float64),
        "bn2d_momentum_none" => new BatchNorm2d(2, momentum: null, dtype: DType.Float64),
        "bn1d_2d_input" => new BatchNorm1d(4, eps: 1e-3, momentum: 0.3, dtype: DType.Float64),
        "bn1d_3d_input_no_affine" => new BatchNorm1d(2, affine: false, dtype: DType.Float64),
        "bn2d_no_tracking" => new BatchNorm2d(2, trackRunningStats: false, dtype: DType.Float64),
        _ => throw new ArgumentException(name),
    };

    private static Dictionary<string, Tensor> State(JsonElement e) =>
        e.EnumerateObject().ToDictionary(p => p.Name, p => OpsReference.Tensor(p.Value));

    [Theory]
    [MemberData(nameof(RunNames))]
    public void BatchNorm_TrainingStepsAndEval_MatchPyTorch(string name)
    {
        var run = Run(name);
        var bn = Make(name);
        var init = State(run.GetProperty("init"));
        Assert.Equal(init.Keys.Order(), bn.StateDict().Keys.Order()); // same state-dict names as PyTorch
        bn.LoadStateDict(init);
        int step = 0;
        foreach (var s in run.GetProperty("steps").EnumerateArray())
        {
            string at = $"{name} step {step++}";
            var x = OpsReference.Tensor(s.GetProperty("input")).RequiresGrad_();
            bn.Train();
            var y = bn.Forward(x);
            OpsReference.AssertMatches(s.GetProperty("output"), y, 1e-12, 1e-10, at + " output");
            (y * OpsReference.Tensor(s.GetProperty("weight"))).Sum().Backward();
            OpsReference.AssertMatches(s.GetProperty("input_grad"), x.Grad!, 1e-11, 1e-9, at + " input grad");
            if (bn.Weight is not null)
            {
                OpsReference.AssertMatches(s.GetProperty("weight_grad"), bn.Weight.Grad!, 1e-11, 1e-9, at + " weight grad");
                OpsReference.AssertMatches(s.GetProperty("bias_grad"), bn.Bias!.Grad!, 1e-11, 1e-9, at + " bias grad");
                bn.ZeroGrad();
            }
            var state = bn.StateDict();
            foreach (var kv in s.GetProperty("state").EnumerateObject())
                OpsReference.AssertMatches(kv.Value, state[kv.Name], 1e-12, 1e-10, $"{at} {kv.Name}");
        }
        bn.Eval();
        var ye = bn.Forward(OpsReference.Tensor(run.GetProperty("eval_input")));
        OpsReference.AssertMatches(run.GetProperty("eval_output"), ye, 1e-12, 1e-10, name + " eval output");
    }

    [Fact]
    public void BatchNorm_BuffersAreStateButNotParameters_AndEvalLeavesThemAlone()
    {
        var bn = new BatchNorm2d(3);
        Assert.Equal(["weight", "bias"], bn.NamedParameters().Select(p => p.Name));
        Assert.Equal(["weight", "bias", "running_mean", "running_var", "num_batches_tracked"], bn.StateDict().Keys);
        Assert.Equal(DType.Int64, bn.NumBatchesTracked!.DType);
        var x = Tensor.Randn([4, 3, 2, 2], new Generator(1));
        bn.Forward(x);
        Assert.Equal(1, bn.NumBatchesTracked.Item());
        Assert.False(bn.RunningMean!.RequiresGrad);
        var mean = bn.RunningMean.ToArray();
        bn.Eval();
        bn.Forward(x);
        Assert.Equal(mean, bn.RunningMean.ToArray());
        Assert.Equal(1, bn.NumBatchesTracked.Item());
        Assert.Equal("BatchNorm2d(3, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)", bn.ToString());

        var untracked = new BatchNorm1d(2, affine: false, trackRunningStats: false);
        Assert.Empty(untracked.StateDict());
        Assert.Null(untracked.RunningMean);
    }

    [Fact]
    public void Norms_BadShapes_NameTheShapes()
    {
        Assert.Contains("[2, 4, 5, 5]", Assert.Throws<ArgumentException>(() => new BatchNorm2d(3).Forward(Tensor.Zeros([2, 4, 5, 5]))).Message);
        Assert.Contains("[2, 3, 5]", Assert.Throws<ArgumentException>(() => new BatchNorm2d(3).Forward(Tensor.Zeros([2, 3, 5]))).Message);
        Assert.Contains("[2, 3, 4, 5]", Assert.Throws<ArgumentException>(() => new BatchNorm1d(3).Forward(Tensor.Zeros([2, 3, 4, 5]))).Message);
        Assert.Contains("more than 1 value per channel", Assert.Throws<ArgumentException>(() => new BatchNorm1d(3).Forward(Tensor.Zeros([1, 3]))).Message);
        var ln = Assert.Throws<ArgumentException>(() => new LayerNorm([4, 5]).Forward(Tensor.Zeros([2, 5, 4]))).Message;
        Assert.Contains("[4, 5]", ln);
        Assert.Contains("[2, 5, 4]", ln);
        Assert.Contains("divisible", Assert.Throws<ArgumentException>(() => new GroupNorm(4, 6)).Message);
        Assert.Contains("[2, 5, 3]", Assert.Throws<ArgumentException>(() => new GroupNorm(2, 6).Forward(Tensor.Zeros([2, 5, 3]))).Message);
        Assert.Contains("[3]", Assert.Throws<ArgumentException>(() => Functional.BatchNorm(Tensor.Zeros([2, 4]), Tensor.Zeros([3]), Tensor.Ones([3]))).Message);
    }

    [Fact]
    public void LayerAndGroupNorm_HavePyTorchParameters()
    {
        var ln = new LayerNorm(6);
        Assert.Equal(["weight", "bias"], ln.NamedParameters().Select(p => p.Name));
        Assert.Equal(Enumerable.Repeat(1.0, 6), ln.Weight!.ToArray());
        Assert.Equal(Enumerable.Repeat(0.0, 6), ln.Bias!.ToArray());
        Assert.Empty(new LayerNorm(6, elementwiseAffine: false).Parameters());
        Assert.Equal("LayerNorm((6,), eps=1e-05, elementwise_affine=True)", ln.ToString());
        var gn = new GroupNorm(2, 4);
        Assert.Equal("GroupNorm(2, 4, eps=1e-05, affine=True)", gn.ToString());
        Assert.Equal([4], gn.Weight!.Shape.ToArray());
        // Each group of a GroupNorm output has mean 0 and (biased) variance 1 - eps-adjusted.
        var y = gn.Forward(Tensor.Randn([3, 4, 5], new Generator(2), DType.Float32));
        var grouped = y.Reshape([3, 2, 10]);
        Assert.All(grouped.Mean(2).ToArray(), m => Assert.Equal(0, m, 5));
    }
}
