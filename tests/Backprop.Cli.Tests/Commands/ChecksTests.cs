using static Backprop.Cli.Tests.CliRunner;

namespace Backprop.Cli.Tests.Commands;

/// <summary>Every usage error of every command exits 2 with one line naming the option, before any work is done.</summary>
[Collection("cli")]
public sealed class ChecksTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("backprop-checks-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Theory]
    // The rows: clipping, non-finite learning rates, zero counts, empty layer lists.
    [InlineData("train", "--clip-norm", "-1")]
    [InlineData("train", "--clip-norm", "0")]
    [InlineData("train", "--clip-norm", "NaN")]
    [InlineData("train", "--lr", "NaN")]
    [InlineData("train", "--lr", "Infinity")]
    [InlineData("train", "--lr", "-Infinity")]
    [InlineData("train", "--lr", "0")]
    [InlineData("train", "--lr", "-0.1")]
    [InlineData("train", "--epochs", "0")]
    [InlineData("train", "--epochs", "-3")]
    [InlineData("train", "--epochs", "abc")]
    [InlineData("train", "--batch-size", "0")]
    [InlineData("train", "--batch-size", "-5")]
    [InlineData("train", "--batch-size", "half")]
    [InlineData("train", "--layers", "0")]
    [InlineData("train", "--layers", "64,0")]
    [InlineData("train", "--layers", "")]
    [InlineData("train", "--layers", ",")]
    [InlineData("train", "--layers", "64,,32")]
    [InlineData("train", "--layers", "1e3")]
    [InlineData("train", "--threads", "0")]
    [InlineData("train", "--threads", "-1")]
    [InlineData("train", "--threads", "100000")]
    // The rest of train's options.
    [InlineData("train", "--momentum", "-0.5")]
    [InlineData("train", "--momentum", "NaN")]
    [InlineData("train", "--weight-decay", "-1")]
    [InlineData("train", "--weight-decay", "Infinity")]
    [InlineData("train", "--betas", "0.9")]
    [InlineData("train", "--betas", "0.9,1.5")]
    [InlineData("train", "--betas", "0.9,NaN")]
    [InlineData("train", "--ema", "1")]
    [InlineData("train", "--ema", "0")]
    [InlineData("train", "--ema", "NaN")]
    [InlineData("train", "--on-nan", "ignore")]
    [InlineData("train", "--activation", "softmax")]
    [InlineData("train", "--dataset", "mnist")]
    [InlineData("compare", "--dataset", "cifar10")]
    [InlineData("train", "--lr-schedule", "linear")]
    // Issue #11's and #17's options.
    [InlineData("train", "--model", "conv16,warp,fc32")]
    [InlineData("train", "--model", "conv0")]
    [InlineData("train", "--model", "fc32,conv16")]
    [InlineData("train", "--augment", "rotate")]
    [InlineData("train", "--augment", "crop,zoom")]
    [InlineData("train", "--resume", "no-such-run")]
    [InlineData("train", "--init", "no-such-weights.safetensors")]
    // Every other command's numeric and list options.
    [InlineData("compare", "--epochs", "0")]
    [InlineData("compare", "--batch-size", "0")]
    [InlineData("compare", "--layers", "")]
    [InlineData("compare", "--lr", "NaN")]
    [InlineData("compare", "--optimizers", "sgd,lbfgs")]
    [InlineData("compare", "--batch-sizes", "full,0")]
    [InlineData("compare", "--threads", "0")]
    [InlineData("descend", "--lr", "Infinity")]
    [InlineData("descend", "--steps", "0")]
    [InlineData("descend", "--start", "1,NaN")]
    [InlineData("descend", "--optimizers", "adam,newton")]
    [InlineData("explain", "--net", "3")]
    [InlineData("explain", "--net", "2,0,1")]
    [InlineData("explain", "--lr", "NaN")]
    [InlineData("explain", "--input", "Infinity")]
    [InlineData("explain", "--weights", "1,,2")]
    [InlineData("explain", "--format", "html")]
    [InlineData("gradients", "--depth", "0")]
    [InlineData("gradients", "--width", "0")]
    [InlineData("gradients", "--steps", "-1")]
    [InlineData("bench", "--threads", "0")]
    public void BadValue_ExitsTwoWithOneLineNamingTheOption(string command, string option, string value)
    {
        var run = Path.Combine(dir, "never-written");
        var result = Run(command, option, value, "--out", run);
        if (command is "explain" or "bench") result = Run(command, option, value);
        AssertOneLineError(result, 2, option);
        Assert.Contains($"backprop {command} --help", result.Err);
        Assert.False(Directory.Exists(run), "a usage error must not start the command");
    }

    [Fact]
    public void Out_FolderWithForeignFiles_IsRefusedBeforeTraining()
    {
        var mine = Path.Combine(dir, "notes");
        Directory.CreateDirectory(mine);
        File.WriteAllText(Path.Combine(mine, "thesis.tex"), "precious");
        var result = Run("train", "--dataset", "iris", "--epochs", "1", "--out", mine);
        AssertOneLineError(result, 2, "--out", "thesis.tex");
        Assert.Equal("precious", File.ReadAllText(Path.Combine(mine, "thesis.tex")));
        Assert.Single(Directory.GetFileSystemEntries(mine));
    }

    [Fact]
    public void GoodEdgeValues_AreAccepted()
    {
        var run = Path.Combine(dir, "ok");
        var (code, _, err) = Run("train", "--dataset", "iris", "--epochs", "1", "--layers", " 4 , 3 ", "--betas", "0,0.5", "--momentum", "0", "--batch-size", "full",
            "--clip-norm", "1e-3", "--threads", "1", "--out", run);
        Threading.SetNumThreads(Environment.ProcessorCount);
        Assert.True(code == 0, err);
    }
}
