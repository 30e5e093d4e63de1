using System.Text.Json;
using Backprop.Cli;

namespace Backprop.Cli.Tests;

/// <summary><c>train --model cnn</c> (and a layer spec) on the embedded 8×8 digits, then eval and predict from the run folder.</summary>
[Collection("cli")]
public sealed class CnnCliTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("backprop-cnn-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static (int Code, string Out, string Err) Run(params string[] args) => CliRunner.Run(args);

    [Fact]
    public void TrainCnnOnDigits_ThenEvalAndPredict()
    {
        var run = Path.Combine(dir, "cnn");
        var (code, output, error) = Run("train", "--dataset", "digits", "--model", "conv8,bn,pool,fc32", "--epochs", "6", "--out", run);
        Assert.True(code == 0, error);
        Assert.Contains("cnn conv8,bn,pool,fc32 on 1×8×8 images → 10", output);
        var spec = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "model.json"))).RootElement;
        Assert.Equal("conv8,bn,pool,fc32", spec.GetProperty("model").GetString());
        var weights = Backprop.IO.SafeTensors.Load(Path.Combine(run, "model.safetensors"));
        Assert.Contains("2.running_mean", weights.Keys); // BatchNorm's running statistics travel with the weights
        Assert.Contains("2.num_batches_tracked", weights.Keys);
        Assert.Equal(new[] { 1, 8, 8 }, spec.GetProperty("imageShape").EnumerateArray().Select(v => v.GetInt32()).ToArray());
        Assert.Equal("none", spec.GetProperty("hyperparameters").GetProperty("augment").GetString());
        Assert.True(spec.GetProperty("bestValAccuracy").GetDouble() >= 0.9, $"a small CNN should learn the digits: {spec.GetProperty("bestValAccuracy").GetDouble()}");

        var (evalCode, evalOut, evalErr) = Run("eval", "--model", run);
        Assert.True(evalCode == 0, evalErr);
        Assert.Contains("accuracy", evalOut, StringComparison.OrdinalIgnoreCase);

        var rows = Path.Combine(dir, "rows.csv");
        File.WriteAllLines(rows, [string.Join(",", Enumerable.Range(0, 64).Select(i => (i % 16).ToString(System.Globalization.CultureInfo.InvariantCulture)))]);
        var (predictCode, predictOut, predictErr) = Run("predict", "--model", run, "--input", rows);
        Assert.True(predictCode == 0, predictErr);
        Assert.NotEmpty(predictOut.Trim());

        var onnx = Path.Combine(dir, "cnn.onnx");
        var (exportCode, _, exportErr) = Run("export", "--model", run, "--format", "onnx", "--out", onnx);
        Assert.True(exportCode == 0, exportErr);
        Assert.True(new FileInfo(onnx).Length > 1000, "the exported CNN should hold its weights");
    }

    [Fact]
    public void Augmentation_IsRecordedAndChangesTraining()
    {
        string Loss(string name, params string[] extra)
        {
            var run = Path.Combine(dir, name);
            var (code, _, error) = Run(["train", "--dataset", "digits", "--model", "conv4,pool", "--epochs", "1", "--out", run, .. extra]);
            Assert.True(code == 0, error);
            return File.ReadAllLines(Path.Combine(run, "metrics.csv"))[1].Split(',')[1];
        }
        string plain = Loss("plain"), shifted = Loss("crop", "--augment", "crop"), again = Loss("crop2", "--augment", "crop");
        Assert.NotEqual(plain, shifted);  // the batches the model saw were different
        Assert.Equal(shifted, again);     // and seeded: the same run twice gives the same numbers
        var spec = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "crop", "model.json"))).RootElement;
        Assert.Equal("crop", spec.GetProperty("hyperparameters").GetProperty("augment").GetString());
        var (code, _, error) = Run("train", "--dataset", "digits", "--augment", "flip", "--epochs", "1", "--out", Path.Combine(dir, "mlp"));
        Assert.NotEqual(0, code);
        Assert.Contains("--augment needs a convolutional --model", error);
    }

    [Fact]
    public void CnnDefault_IsTheBenchmarkNet_AndBadSpecsAreRejected()
    {
        var (code, _, error) = Run("train", "--dataset", "iris", "--model", "cnn", "--epochs", "1", "--out", Path.Combine(dir, "iris"));
        Assert.NotEqual(0, code);
        Assert.Contains("need an image data set", error);
        var (badCode, _, badError) = Run("train", "--dataset", "digits", "--model", "conv8,fc16,conv4", "--epochs", "1", "--out", Path.Combine(dir, "bad"));
        Assert.NotEqual(0, badCode);
        Assert.Contains("layer 'conv4': a convolution cannot follow a fully connected layer", badError);
        var (wordCode, _, wordError) = Run("train", "--dataset", "digits", "--model", "conv8,maxpool", "--epochs", "1", "--out", Path.Combine(dir, "bad2"));
        Assert.NotEqual(0, wordCode);
        Assert.Contains("layer 'maxpool'", wordError);
        var (bnCode, _, bnError) = Run("train", "--dataset", "digits", "--model", "bn,conv8", "--epochs", "1", "--out", Path.Combine(dir, "bad3"));
        Assert.NotEqual(0, bnCode);
        Assert.Contains("bn must directly follow a convolution", bnError);
        var withBn = Backprop.Cli.Training.Cnn.Build([1, 8, 8], "conv4,bn,pool", 10, 0);
        Assert.Equal(["Unflatten", "Conv2d", "BatchNorm2d", "Relu", "MaxPool2d", "Flatten", "Linear"], Enumerable.Range(0, withBn.Count).Select(i => withBn[i].GetType().Name));
        var net = Backprop.Cli.Training.Cnn.Build([1, 28, 28], Backprop.Cli.Training.Cnn.Resolve("cnn"), 10, 0);
        Assert.Equal(421_642, net.ParameterCount); // the peers' fmnist_cnn net: 320 + 18,496 + 401,536 + 1,290
    }
}
