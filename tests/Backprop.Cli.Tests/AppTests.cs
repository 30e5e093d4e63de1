using static Backprop.Cli.Tests.CliRunner;

namespace Backprop.Cli.Tests;

/// <summary>The process-level behaviour of <c>backprop</c>: output piped to a file is not wrapped; errors are one line.</summary>
public sealed class AppTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("backprop-app-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void PipedOutput_IsNotWrapped()
    {
        var run = Path.Combine(dir, string.Concat(Enumerable.Repeat("a-rather-long-folder-name-", 5)), "run");
        Assert.True(run.Length > 120);
        var (code, output, err) = Child("train", "--dataset", "iris", "--epochs", "2", "--out", run);
        Assert.True(code == 0, err);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var wrote = Assert.Single(lines, l => l.StartsWith("wrote ", StringComparison.Ordinal));
        Assert.Contains(run, wrote); // the whole path on the one line, past column 80
        Assert.EndsWith("updates", wrote.TrimEnd());
        Assert.Contains(lines, l => l.StartsWith("model: 4 → 64 → 3 (relu)", StringComparison.Ordinal) && l.TrimEnd().EndsWith("2 epochs", StringComparison.Ordinal));
        Assert.Equal(2, lines.Count(l => l.StartsWith("epoch ", StringComparison.Ordinal)));

        (code, output, err) = Child("explain");
        Assert.True(code == 0, err);
        Assert.All(output.Split('\n'), l => Assert.True(l.Length < 200, $"a {l.Length}-character line: a full-width rule drawn for a 'no wrap' width"));
        Assert.Contains("Backpropagation through a 1-2-1 sigmoid network", output);
    }

    [Fact]
    public void UsageAndDataErrors_FromARealProcess_AreOneLine()
    {
        AssertOneLineError(Child("train", "--lr", "NaN"), 2, "--lr", "not a finite number");
        AssertOneLineError(Child("eval", "--model", Path.Combine(dir, "nothing")), 1, "model.json");
    }
}
