using System.Diagnostics;
using System.Text.Json;
using Backprop.Cli.Training;
using static Backprop.Cli.Tests.CliRunner;

namespace Backprop.Cli.Tests.Training;

/// <summary>The run folder changes as one unit: reused, interrupted or killed, it is always one whole run; temp files do not stay.</summary>
[Collection("cli")]
public sealed class RunFolderTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("backprop-runs-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static int Hidden(string run) => JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "model.json"))).RootElement.GetProperty("hidden")[0].GetInt32();

    /// <summary>A process id that is certainly not running: a child that has exited.</summary>
    private static int DeadPid()
    {
        using var p = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        p.WaitForExit();
        return p.Id;
    }

    [Fact]
    public void ReusedOut_WithOtherLayers_AfterAKilledRun_IsReplacedWhole_AndTempFilesGo()
    {
        var run = Path.Combine(dir, "run");
        Assert.Equal(0, Run("train", "--dataset", "iris", "--layers", "8", "--epochs", "1", "--out", run).Code);
        // What a run killed mid-write used to leave: temp files inside, and a staging folder beside it.
        int dead = DeadPid();
        File.WriteAllText(Path.Combine(run, "model.json.tmp"), "{\"hidden\": [");
        File.WriteAllBytes(Path.Combine(run, $".best.safetensors.{dead}.tmp"), [1, 2, 3]);
        var staging = Path.Combine(dir, $".run.tmp-{dead}");
        Directory.CreateDirectory(staging);
        File.WriteAllText(Path.Combine(staging, "model.json"), "half");

        var (code, output, err) = Run("train", "--dataset", "iris", "--layers", "16", "--epochs", "1", "--out", run);
        Assert.True(code == 0, err);
        Assert.Equal(16, Hidden(run));
        Assert.Empty(Directory.GetFiles(run, "*.tmp"));
        Assert.Equal([run], Directory.GetDirectories(dir)); // no staging or aside folders left
        Assert.Equal(0, Run("eval", "--model", run).Code); // model.json and the weights belong together
        foreach (var f in new[] { "metrics.csv", "curves.png", "model.safetensors", "model.json" }) Assert.Contains(f, output);
    }

    [Fact]
    public void KilledBetweenTheTwoRenames_TheOldFolderIsPutBack()
    {
        var run = Path.Combine(dir, "run");
        Assert.Equal(0, Run("train", "--dataset", "iris", "--layers", "8", "--epochs", "1", "--out", run).Code);
        var aside = Path.Combine(dir, $".run.old-{DeadPid()}");
        Directory.Move(run, aside); // the state after Commit's first rename
        var (code, _, err) = Run("eval", "--model", run);
        Assert.True(code == 0, err);
        Assert.Equal(8, Hidden(run));
        Assert.False(Directory.Exists(aside));
    }

    [Fact]
    public void FailedRun_LeavesNoStagingFolder()
    {
        var run = Path.Combine(dir, "never");
        var csv = Path.Combine(dir, "tiny.csv");
        File.WriteAllLines(csv, ["a,label", "1,0", "2,1"]); // too few rows for a split: fails after the staging folder would exist
        Assert.Equal(1, Run("train", "--dataset", csv, "--out", run).Code);
        Assert.Empty(Directory.GetDirectories(dir));
    }

    [Fact]
    public async Task SigKill_DuringTraining_LeavesTheOldRunWhole()
    {
        if (!OperatingSystem.IsLinux()) return;
        var run = Path.Combine(dir, "run");
        Assert.Equal(0, Run("train", "--dataset", "iris", "--layers", "8", "--epochs", "1", "--out", run).Code);
        var before = Directory.GetFiles(run).Select(f => (Path.GetFileName(f), File.ReadAllBytes(f).Length)).Order().ToList();
        var cli = Path.Combine(AppContext.BaseDirectory, "Backprop.Cli.dll");
        using var p = Process.Start(new ProcessStartInfo("dotnet", [cli, "train", "--layers", "32", "--epochs", "100000", "--out", run])
        { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false })!;
        // Wait until it is training (an epoch finished, its staging folder exists), then kill it outright.
        var staging = Path.Combine(dir, $".run.tmp-{p.Id}");
        var epoch = new TaskCompletionSource();
        p.OutputDataReceived += (_, e) => { if (e.Data?.StartsWith("epoch", StringComparison.Ordinal) == true) epoch.TrySetResult(); };
        p.BeginOutputReadLine();
        Assert.True(await Task.WhenAny(epoch.Task, Task.Delay(TimeSpan.FromSeconds(60))) == epoch.Task, "the child never finished an epoch");
        Assert.True(Directory.Exists(staging), "the child writes somewhere other than its staging folder");
        p.Kill();
        await p.WaitForExitAsync();
        Assert.Equal(before, Directory.GetFiles(run).Select(f => (Path.GetFileName(f), File.ReadAllBytes(f).Length)).Order().ToList());
        Assert.Equal(8, Hidden(run));
        Assert.Equal(0, Run("eval", "--model", run).Code);
        RunFolder.Recover(run); // the next run cleans what the dead process left
        Assert.Equal([run], Directory.GetDirectories(dir));
    }
}
