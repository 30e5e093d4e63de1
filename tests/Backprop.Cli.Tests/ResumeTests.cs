using System.Diagnostics;
using Backprop.IO;
using static Backprop.Cli.Tests.CliRunner;

namespace Backprop.Cli.Tests;

/// <summary>
/// <c>train --resume</c> and <c>--init</c>: 3 epochs then resuming to 6 writes the same bytes as one 6-epoch run, and a
/// training process killed at any moment leaves a checkpoint that loads and resumes.
/// </summary>
[Collection("cli")]
public sealed class ResumeTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("backprop-resume-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static readonly string[] Common = ["--dataset", "iris", "--layers", "8", "--batch-size", "16", "--ema", "0.9", "--lr", "0.01"];

    private static void Ok((int Code, string Out, string Err) r) => Assert.True(r.Code == 0, r.Err + r.Out);

    [Theory]
    [InlineData("exponential")]
    [InlineData("plateau")]
    public void ThreeEpochsThenResumeToSix_EqualsSixStraight(string schedule)
    {
        string straight = Path.Combine(dir, "straight"), split = Path.Combine(dir, "split");
        Ok(Run(["train", .. Common, "--lr-schedule", schedule, "--epochs", "6", "--out", straight]));
        Ok(Run(["train", .. Common, "--lr-schedule", schedule, "--epochs", "3", "--out", split]));
        Assert.NotEqual(File.ReadAllBytes(Path.Combine(straight, "model.safetensors")), File.ReadAllBytes(Path.Combine(split, "model.safetensors")));
        var (code, output, error) = Run("train", "--resume", split, "--epochs", "6");
        Assert.True(code == 0, error);
        Assert.Contains("resuming", output);
        Assert.Contains("epoch   4/6", output);
        Assert.DoesNotContain("epoch   3/6", output);

        foreach (var f in new[] { "model.safetensors", "checkpoint.safetensors", "best.safetensors" })
            Assert.True(File.ReadAllBytes(Path.Combine(straight, f)).SequenceEqual(File.ReadAllBytes(Path.Combine(split, f))), $"{f} differs");
        static string[] Rows(string run) => File.ReadAllLines(Path.Combine(run, "metrics.csv"))
            .Select(l => string.Join(',', l.Split(',').Where((_, i) => i != 5))).ToArray(); // all but the seconds column
        Assert.Equal(Rows(straight), Rows(split));
        var c = Checkpoint.Load(Path.Combine(split, "checkpoint.safetensors"));
        Assert.Equal(6, c.Epoch);
        Assert.Contains(c.Extra.Keys, k => k.StartsWith("ema/", StringComparison.Ordinal)); // the EMA average, beside the raw weights
        Assert.NotEqual(c.ModelState["0.weight"].ToArray<float>(), SafeTensors.Load(Path.Combine(split, "model.safetensors"))["0.weight"].ToArray<float>());
    }

    [Fact]
    public void Resume_ToNoMoreEpochs_OrWithoutACheckpoint_SaysWhatToDo()
    {
        var run = Path.Combine(dir, "r");
        Ok(Run(["train", .. Common, "--epochs", "2", "--out", run]));
        var (code, _, error) = Run("train", "--resume", run, "--epochs", "2");
        Assert.NotEqual(0, code);
        Assert.Contains("already trained 2 epochs", error);
        (code, _, error) = Run("train", "--resume", run, "--epochs", "4", "--lr", "0.5");
        Assert.NotEqual(0, code);
        Assert.Contains("--lr: --resume continues the run with the settings in", error);
        (code, _, error) = Run("train", "--resume", Path.Combine(dir, "nothing"), "--epochs", "3");
        Assert.NotEqual(0, code);
        Assert.Contains("checkpoint.safetensors not found", error);
    }

    [Fact]
    public void Init_StartsFromTheGivenWeights()
    {
        var first = Path.Combine(dir, "first");
        Ok(Run(["train", .. Common, "--epochs", "2", "--out", first]));
        var weights = Path.Combine(first, "model.safetensors");
        var second = Path.Combine(dir, "second");
        // A learning rate far below float precision (0 itself is a usage error) leaves the weights where --init put them.
        Ok(Run("train", "--dataset", "iris", "--layers", "8", "--optimizer", "sgd", "--lr", "1e-30", "--epochs", "1", "--init", weights, "--out", second));
        var expected = SafeTensors.Load(weights);
        var actual = SafeTensors.Load(Path.Combine(second, "model.safetensors"));
        foreach (var (k, t) in expected) Assert.Equal(t.ToArray<float>(), actual[k].ToArray<float>());

        var (code, _, error) = Run("train", "--dataset", "iris", "--layers", "5", "--epochs", "1", "--init", weights, "--out", Path.Combine(dir, "third"));
        Assert.NotEqual(0, code);
        Assert.Contains(weights, error);
    }

    [Fact]
    public async Task KilledMidRun_TheRunFolderStillLoadsAndResumes()
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "Backprop.Cli.dll");
        var run = Path.Combine(dir, "killed");
        var random = new Random(17);
        for (int attempt = 0; attempt < 3; attempt++)
        {
            string[] args = attempt == 0 ? ["train", .. Common, "--epochs", "100000", "--out", run] : ["train", "--resume", run, "--epochs", "100000"];
            using var process = Process.Start(new ProcessStartInfo("dotnet", [cli, .. args]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var checkpoint = Path.Combine(run, "checkpoint.safetensors");
            var before = File.Exists(checkpoint) ? File.GetLastWriteTimeUtc(checkpoint) : DateTime.MinValue;
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while ((!File.Exists(checkpoint) || File.GetLastWriteTimeUtc(checkpoint) == before) && DateTime.UtcNow < deadline) await Task.Delay(20);
            await Task.Delay(random.Next(50, 400)); // checkpoints are written every few milliseconds: land anywhere in one
            process.Kill(); // SIGKILL: no chance to clean up
            await process.WaitForExitAsync();

            var c = Checkpoint.Load(checkpoint);
            Assert.True(c.Epoch >= 1);
            SafeTensors.Load(Path.Combine(run, "best.safetensors"));
            // model.json is written only when a run ends (last, so the folder is never a mixed set); the checkpoint carries a copy.
            Assert.Contains("\"dataset\": \"iris\"", c.Metadata[Backprop.Cli.Training.RunFolder.SpecKey]);
            Assert.False(File.Exists(Path.Combine(run, "model.json")));
        }
        var done = Checkpoint.Load(Path.Combine(run, "checkpoint.safetensors")).Epoch;
        Ok(Run("train", "--resume", run, "--epochs", (done + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(done + 1, Checkpoint.Load(Path.Combine(run, "checkpoint.safetensors")).Epoch);
    }
}
