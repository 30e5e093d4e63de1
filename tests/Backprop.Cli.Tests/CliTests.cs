using System.Globalization;
using System.Text.Json;
using Backprop.Cli;
using Backprop.Cli.Commands;
using Backprop.IO;
using static Backprop.Cli.Tests.CliRunner;

namespace Backprop.Cli.Tests;

/// <summary>Each command end to end, in-process, on small data in a temporary folder.</summary>
[Collection("cli")] // commands share the process-wide thread setting and console
public sealed class CliTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("backprop-cli-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static void AssertPng(string path)
    {
        Assert.True(File.Exists(path), $"{path} missing");
        var bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length > 1000, $"{path} is only {bytes.Length} bytes");
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, bytes[..8]);
    }

    [Fact]
    public void Train_Default_DigitsReaches95Percent_AndWritesEverything()
    {
        var run = Path.Combine(dir, "run");
        var (code, output, error) = Run("train", "--out", run);
        Assert.True(code == 0, error);
        Assert.Contains("epoch  20/20", output);
        foreach (var f in new[] { "metrics.csv", "model.safetensors", "best.safetensors", "model.json" }) Assert.True(File.Exists(Path.Combine(run, f)), f);
        AssertPng(Path.Combine(run, "curves.png"));
        var lines = File.ReadAllLines(Path.Combine(run, "metrics.csv"));
        Assert.Equal("epoch,train_loss,val_loss,val_accuracy,lr,seconds,updates,skipped_batches,status", lines[0]);
        Assert.Equal(21, lines.Length);
        Assert.All(lines[1..], l => Assert.EndsWith(",0,complete", l));
        var last = lines[^1].Split(',')[..^1].Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(20, last[0]);
        Assert.True(last[3] >= 0.95, $"validation accuracy {last[3]}");
        Assert.Equal(20 * 45, last[6]); // 1,438 training samples in batches of 32: 45 updates per epoch
        var spec = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "model.json"))).RootElement;
        Assert.Equal("digits", spec.GetProperty("dataset").GetString());
        Assert.True(spec.GetProperty("bestValAccuracy").GetDouble() >= 0.95);
        var weights = SafeTensors.Load(Path.Combine(run, "model.safetensors"), out var meta);
        Assert.Equal(new[] { 64, 64 }, weights["0.weight"].Shape.ToArray());
        Assert.Equal("digits", meta["dataset"]);

        var (evalCode, evalOut, evalErr) = Run("eval", "--model", run);
        Assert.True(evalCode == 0, evalErr);
        Assert.Contains("accuracy", evalOut);
        Assert.Contains("precision", evalOut);
        AssertPng(Path.Combine(run, "confusion.png"));

        var csv = Path.Combine(dir, "rows.csv");
        var digits = Backprop.Data.Datasets.Digits();
        File.WriteAllLines(csv, Enumerable.Range(0, 3).Select(i => string.Join(',', digits.Features[i].ToArray().Select(v => v.ToString(CultureInfo.InvariantCulture)))));
        var (predCode, predOut, predErr) = Run("predict", "--model", run, "--input", csv);
        Assert.True(predCode == 0, predErr);
        Assert.Contains("probability", predOut);
    }

    [Fact]
    public void Train_WithOptionsOnIris_FullBatchScheduleClipEma()
    {
        var run = Path.Combine(dir, "iris");
        var (code, _, error) = Run("train", "--dataset", "iris", "--layers", "8", "--activation", "tanh", "--optimizer", "momentum", "--lr", "0.1",
            "--batch-size", "full", "--epochs", "5", "--lr-schedule", "cosine", "--clip-norm", "1", "--ema", "0.9", "--seed", "3", "--threads", "1", "--out", run);
        Assert.True(code == 0, error);
        var lines = File.ReadAllLines(Path.Combine(run, "metrics.csv"));
        Assert.Equal(6, lines.Length);
        Assert.Equal("5", lines[^1].Split(',')[6]); // batch GD: one update per epoch
        Assert.True(Threading.NumThreads == 1);
        Threading.SetNumThreads(Environment.ProcessorCount);
    }

    [Fact]
    public void Compare_OptimizersAndBatchModes()
    {
        var (code, output, error) = Run("compare", "--dataset", "iris", "--optimizers", "sgd,adam", "--epochs", "2", "--out", Path.Combine(dir, "c1"));
        Assert.True(code == 0, error);
        Assert.Contains("adam", output);
        AssertPng(Path.Combine(dir, "c1", "compare.png"));
        (code, output, error) = Run("compare", "--dataset", "iris", "--batch-sizes", "full,1,16", "--epochs", "2", "--out", Path.Combine(dir, "c2"));
        Assert.True(code == 0, error);
        Assert.Contains("batch GD (full)", output);
        Assert.Contains("240", output); // SGD: 120 training samples × 2 epochs
    }

    [Fact]
    public void Compare_ADivergingOptimizerIsARowNotAFailure()
    {
        var (code, output, error) = Run("compare", "--dataset", "iris", "--optimizers", "sgd,adam", "--lr", "1e30", "--epochs", "2", "--out", Path.Combine(dir, "c3"));
        Assert.True(code == 0, error);
        Assert.Contains("diverged (epoch 1, step ", output);
        AssertPng(Path.Combine(dir, "c3", "compare.png"));
    }

    [Fact]
    public void Explain_DefaultNumbersEqualAutograd()
    {
        var (code, output, error) = Run("explain", "--format", "json");
        Assert.True(code == 0, error);
        var root = JsonDocument.Parse(output).RootElement;
        var grads = root.GetProperty("sections").EnumerateArray().Single(s => s.GetProperty("title").GetString()!.StartsWith("Gradients"));
        var dw21 = grads.GetProperty("rows").EnumerateArray().Single(r => r[0].GetString() == "w2[1,1]")[1].GetString()!;

        // The same network through the autograd engine.
        var x = Tensor.Scalar(2, DType.Float64);
        var w11 = Tensor.Scalar(1, DType.Float64, true); var w12 = Tensor.Scalar(-1, DType.Float64, true);
        var w21 = Tensor.Scalar(2, DType.Float64, true); var w22 = Tensor.Scalar(1, DType.Float64, true);
        var o = (w21 * (w11 * x + 3).Sigmoid() + w22 * (w12 * x + 3).Sigmoid()).Sigmoid();
        (0.5 * (1 - o) * (1 - o)).Backward();
        Assert.Equal(w21.Grad!.Item(), double.Parse(dw21, CultureInfo.InvariantCulture), 6);
        Assert.Contains("\"0.00072\"", output); // b2 after one step: 0 − 0.2·δ

        var walk = new BackpropWalk([3, 4, 2], Enumerable.Range(0, 3 * 4 + 4 + 4 * 2 + 2).Select(i => Math.Sin(i)).ToArray(), [0.5, -1, 2], [0, 1], 0.1);
        Assert.True(walk.CheckAgainstAutograd() < 1e-12);
        (code, output, _) = Run("explain", "--net", "2,3,1", "--format", "markdown");
        Assert.Equal(0, code);
        Assert.Contains("## Forward pass", output);
        (code, output, _) = Run("explain", "--net", "2,3,1");
        Assert.Equal(0, code);
        Assert.Contains("Check against autograd", output);
    }

    [Fact]
    public void Descend_OneAndTwoDimensional()
    {
        var (code, output, error) = Run("descend", "--optimizers", "sgd,adam", "--lr", "0.1", "--steps", "50", "--out", Path.Combine(dir, "d1"));
        Assert.True(code == 0, error);
        Assert.Contains("-0.3333 → 0.6667", output); // SGD reaches the minimum of 3x²+2x+1
        AssertPng(Path.Combine(dir, "d1", "descend.png"));
        (code, _, error) = Run("descend", "-f", "beale", "--optimizers", "adam,rmsprop", "--lr", "0.01", "--steps", "30", "--out", Path.Combine(dir, "d2"));
        Assert.True(code == 0, error);
        AssertPng(Path.Combine(dir, "d2", "descend.png"));
        Assert.Equal([(3.0, 2), (-2.5, 1), (1.0, 0)], DescendCommand.ParsePolynomial("3x^2 - 2.5x + 1"));
    }

    [Fact]
    public void Gradients_SigmoidVanishesFasterThanRelu()
    {
        var (code, output, error) = Run("gradients", "--depth", "6", "--steps", "2", "--out", Path.Combine(dir, "g"));
        Assert.True(code == 0, error);
        AssertPng(Path.Combine(dir, "g", "gradients.png"));
        var summary = output.Split("gradient norm: ")[1].Split('\n')[0];
        var ratios = summary.Split(',').Select(p => double.Parse(p.Trim().Split(' ')[1], CultureInfo.InvariantCulture)).ToArray();
        Assert.True(ratios[0] < ratios[1], $"sigmoid ratio {ratios[0]} vs relu {ratios[1]}");
    }

    [Fact]
    public void Bench_PrintsJsonLines()
    {
        var (code, output, error) = Run("bench", "--only", "tiny_step,sgemm128", "--threads", "1");
        Threading.SetNumThreads(Environment.ProcessorCount);
        Assert.True(code == 0, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Equal("sgemm128", JsonDocument.Parse(lines[0]).RootElement.GetProperty("work").GetString());
        Assert.True(JsonDocument.Parse(lines[1]).RootElement.GetProperty("us_per_step").GetDouble() > 0);
    }

    [Fact]
    public void Errors_ExitCodesAndOneLineMessages()
    {
        var missing = Path.Combine(dir, "nope.csv");
        var (code, _, error) = Run("train", "--dataset", missing, "--out", Path.Combine(dir, "x"));
        Assert.Equal(1, code);
        Assert.Contains(missing, error);
        Assert.Single(error.Trim().Split('\n'));

        var bad = Path.Combine(dir, "bad.csv");
        File.WriteAllLines(bad, ["a,b,label", "1,2,0", "3,oops,1"]);
        (code, _, error) = Run("train", "--dataset", bad, "--out", Path.Combine(dir, "y"));
        Assert.Equal(1, code);
        Assert.Contains("bad.csv, line 3", error);

        (code, _, error) = Run("train", "--no-such-option");
        Assert.Equal(2, code);
        Assert.Contains("--no-such-option", error);
        (code, _, error) = Run("train", "--optimizer", "lbfgs");
        Assert.Equal(2, code);
        Assert.Contains("lbfgs", error);
        (code, _, error) = Run("train", "--epochs", "many");
        Assert.Equal(2, code);
        Assert.Single(error.Trim().Split('\n'));
        (code, _, error) = Run("eval", "--model", Path.Combine(dir, "missing-run"));
        Assert.Equal(1, code);
        Assert.Contains("model.json", error);
        (code, _, _) = Run("--help");
        Assert.Equal(0, code);
    }
}
