using static Backprop.Cli.Tests.CliRunner;

namespace Backprop.Cli.Tests;

/// <summary><c>--device cpu|cuda|auto</c> on train, eval, predict and bench, on a machine with or without CUDA.</summary>
[Collection("cli")]
public sealed class DeviceOptionTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("backprop-device-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Theory]
    [InlineData("train")]
    [InlineData("eval", "--model", "m")]
    [InlineData("predict", "--model", "m", "--input", "x.csv")]
    [InlineData("bench")]
    public void DeviceCuda_WithoutAUsableGpu_IsAOneLineUsageError(string command, params string[] rest)
    {
        var result = Run([command, .. rest, "--device", "cuda"]);
        if (!Cuda.IsAvailable)
            AssertOneLineError(result, 2, "--device cuda", "no CUDA driver was found");
        else
            AssertOneLineError(result, 2, "--device cuda", "does not run on cuda:0 yet"); // a GPU machine, until the commands run there
    }

    [Fact]
    public void DeviceCpu_MovesModelBatchesAndValidationDataOffTheDefaultDevice()
    {
        // The library's test-only checked device as the default: --device cpu must move the model, the batches (through
        // augmentation), the EMA, a resumed optimizer and the validation data to the CPU, or an op meets two devices.
        var env = new Dictionary<string, string?> { ["BACKPROP_TEST_DEVICE"] = "checked" };
        var run = Path.Combine(dir, "moved");
        var (code, _, err) = Child(env, "train", "--dataset", "digits", "--model", "conv4,pool,fc8", "--augment", "crop,flip", "--ema", "0.9",
            "--epochs", "1", "--device", "cpu", "--out", run);
        Assert.True(code == 0, err);
        (code, _, err) = Child(env, "train", "--resume", run, "--epochs", "2", "--device", "cpu");
        Assert.True(code == 0, err);
        (code, var output, err) = Child(env, "eval", "--model", run, "--device", "cpu");
        Assert.True(code == 0, err);
        Assert.Contains("accuracy", output);
        var text = Path.Combine(dir, "text.txt");
        File.WriteAllText(text, string.Concat(Enumerable.Repeat("the quick brown fox jumps over the lazy dog. ", 40)));
        (code, _, err) = Child(env, "train", "--dataset", "text", "--file", text, "--epochs", "1", "--device", "cpu", "--out", Path.Combine(dir, "lstm"));
        Assert.True(code == 0, err);
    }

    [Fact]
    public void UnknownDevice_IsAUsageError() =>
        AssertOneLineError(Run("train", "--device", "tpu"), 2, "--device", "tpu");

    [Theory]
    [InlineData("cpu")]
    [InlineData("auto")] // the CPU: no CUDA here, and the commands do not run on CUDA yet
    public void TrainEvalPredict_RunOnTheCpu(string device)
    {
        var run = Path.Combine(dir, device);
        var (code, output, err) = Run("train", "--dataset", "iris", "--epochs", "1", "--device", device, "--out", run);
        Assert.True(code == 0, err);
        Assert.Contains("epoch", output);
        (code, output, err) = Run("eval", "--model", run, "--device", device);
        Assert.True(code == 0, err);
        Assert.Contains("accuracy", output, StringComparison.OrdinalIgnoreCase);
        var csv = Path.Combine(dir, device + ".csv");
        File.WriteAllText(csv, "5.1,3.5,1.4,0.2\n");
        (code, output, err) = Run("predict", "--model", run, "--input", csv, "--device", device);
        Assert.True(code == 0, err);
        Assert.Contains("1", output);
    }

    [Fact]
    public void Bench_TakesTheDeviceOption()
    {
        var (code, output, err) = Run("bench", "--only", "sgemm128", "--threads", "1", "--device", "auto");
        Assert.True(code == 0, err);
        Assert.Contains("\"work\":\"sgemm128\"", output.Replace(" ", "", StringComparison.Ordinal));
    }
}
