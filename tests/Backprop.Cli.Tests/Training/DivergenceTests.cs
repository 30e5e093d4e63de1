using System.Text.Json;
using Backprop.Cli.Training;
using Backprop.IO;
using Backprop.NN;
using static Backprop.Cli.Tests.CliRunner;

namespace Backprop.Cli.Tests.Training;

/// <summary>Divergence: the first non-finite loss or gradient stops training (or, asked, skips the batch); nothing NaN is kept.</summary>
[Collection("cli")]
public sealed class DivergenceTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("backprop-nan-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    /// <summary>Iris-sized data where training row <paramref name="nanRow"/> (if any) has a NaN feature; validation data is clean.</summary>
    private static SplitData Data(int nanRow = -1)
    {
        var iris = Backprop.Data.Datasets.Iris();
        var x = iris.Features.ToArray<float>();
        if (nanRow >= 0) x[nanRow * 4 + 2] = float.NaN;
        var all = Tensor.FromArray(x, [150, 4]);
        return new SplitData("toy", all.Narrow(0, 0, 120), iris.Labels.Narrow(0, 0, 120), all.Narrow(0, 120, 30).Clone(), iris.Labels.Narrow(0, 120, 30), ["a", "b", "c"], [0, 0, 0, 0], [1, 1, 1, 1]);
    }

    private static Sequential Net() => Mlp.Build(4, [8], 3, "relu", seed: 0);

    [Fact]
    public void NanLoss_Stop_ThrowsNamingEpochStepAndWhatToTry()
    {
        var trainer = new Trainer(Net(), Data(nanRow: 7), new TrainOptions { Optimizer = "sgd", BatchSize = 1, Epochs = 2 });
        var e = Assert.Throws<DivergenceException>(() => trainer.Run(CancellationToken.None).ToList());
        Assert.Equal(1, e.Epoch);
        Assert.InRange(e.Step, 1, 120);
        Assert.Equal(e.Step - 1, trainer.TotalUpdates); // every batch before the NaN one was applied, the NaN one was not
        Assert.Contains($"epoch 1, step {e.Step}: the training loss is NaN", e.Message);
        Assert.Contains("--lr", e.Message);
        Assert.Contains("--on-nan skip-batch", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void NanLoss_SkipBatch_LeavesTheWeightsUntouchedAndCountsIt()
    {
        var model = Net();
        var trainer = new Trainer(model, Data(nanRow: 7), new TrainOptions { Optimizer = "sgd", BatchSize = 1, Epochs = 3, OnNan = "skip-batch" });
        var results = trainer.Run(CancellationToken.None).ToList();
        Assert.Equal(3, results.Count);
        Assert.All(results, r => Assert.Equal(1, r.Skipped));
        Assert.Equal(3 * 119, trainer.TotalUpdates);
        Assert.All(results, r => Assert.True(double.IsFinite(r.TrainLoss) && double.IsFinite(r.ValLoss), $"{r}"));
        Assert.All(model.Parameters(), p => Assert.All(p.ToArray(), v => Assert.True(double.IsFinite(v))));
    }

    /// <summary>Passes values through unchanged but with an infinite derivative: x + sqrt(x − x).</summary>
    private sealed class InfiniteSlope : Module
    {
        public override Tensor Forward(Tensor input) => input + (input - input.Detach()).Sqrt();
    }

    [Fact]
    public void FiniteLossInfiniteGradient_DetectAnomaly_NamesTheOp()
    {
        var net = new Sequential(new Linear(4, 8, generator: new Generator(0)), new InfiniteSlope(), new Linear(8, 3, generator: new Generator(1)));
        var trainer = new Trainer(net, Data(), new TrainOptions { Optimizer = "sgd", BatchSize = 10, Epochs = 1, DetectAnomaly = true });
        var e = Assert.Throws<DivergenceException>(() => trainer.Run(CancellationToken.None).ToList());
        Assert.Equal((1, 1), (e.Epoch, e.Step));
        Assert.Contains("anomaly mode: Function 'SqrtBackward' returned nan or inf", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Equal(0, trainer.TotalUpdates);

        // Without anomaly mode but with clipping, the gradient norm it already measures catches the same step.
        net = new Sequential(new Linear(4, 8, generator: new Generator(0)), new InfiniteSlope(), new Linear(8, 3, generator: new Generator(1)));
        trainer = new Trainer(net, Data(), new TrainOptions { Optimizer = "sgd", BatchSize = 10, Epochs = 1, ClipNorm = 1 });
        e = Assert.Throws<DivergenceException>(() => trainer.Run(CancellationToken.None).ToList());
        Assert.Equal((1, 1), (e.Epoch, e.Step));
        Assert.Contains("gradient norm is", e.Message);
        Assert.All(net.Parameters(), p => Assert.All(p.ToArray(), v => Assert.True(double.IsFinite(v))));
    }

    [Fact]
    public void Cli_HugeLearningRate_ExitsOneAndSavesNothingNaN()
    {
        var run = Path.Combine(dir, "run");
        var result = Run("train", "--optimizer", "sgd", "--lr", "1e6", "--epochs", "3", "--out", run);
        AssertOneLineError(result, 1, "training diverged at epoch ", ", step ", "--lr");
        Assert.DoesNotContain("NaN %", result.Out);
        if (!Directory.Exists(run)) return; // diverged in epoch 1: nothing was written
        // Some epochs finished before it diverged: everything kept is finite and the summary names only files that exist.
        foreach (var f in Directory.GetFiles(run, "*.safetensors"))
            Assert.All(SafeTensors.Load(f).Values, t => Assert.All(t.ToArray(), v => Assert.True(double.IsFinite(v), f)));
        var spec = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "model.json"))).RootElement;
        Assert.True(double.IsFinite(spec.GetProperty("bestValAccuracy").GetDouble()));
    }

    [Fact]
    public void Cli_DivergingRunOverAGoodOne_LeavesTheGoodOneWhole()
    {
        // A good run in a folder, then a diverging one (another architecture) aimed at the same folder.
        var csv = Path.Combine(dir, "overflow.csv");
        var iris = Backprop.Data.Datasets.Iris();
        var x = iris.Features.ToArray<float>();
        var y = iris.Labels.ToArray<long>();
        File.WriteAllLines(csv, ["a,b,c,d,label", .. Enumerable.Range(0, 150).Select(i => string.Join(',', x[(4 * i)..(4 * i + 4)].Select(v => v.ToString(System.Globalization.CultureInfo.InvariantCulture))) + $",{y[i]}")]);
        var run = Path.Combine(dir, "keep");
        var ok = Run("train", "--dataset", csv, "--epochs", "2", "--layers", "8", "--out", run);
        Assert.True(ok.Code == 0, ok.Err);
        Assert.Contains("best.safetensors (epoch", ok.Out);
        // Now diverge from the start on the same folder: the old run stays whole.
        var bad = Run("train", "--dataset", csv, "--epochs", "2", "--layers", "16", "--optimizer", "sgd", "--lr", "1e30", "--out", run);
        AssertOneLineError(bad, 1, "training diverged at epoch 1", "nothing was written to");
        Assert.Equal(8, JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "model.json"))).RootElement.GetProperty("hidden")[0].GetInt32());
        var (code, _, err) = Run("eval", "--model", run);
        Assert.True(code == 0, err);
    }
}
