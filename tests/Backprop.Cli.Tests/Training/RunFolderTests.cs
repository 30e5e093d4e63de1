using System.Diagnostics;
using System.Text.Json;
using Backprop.Cli.Training;
using static Backprop.Cli.Tests.CliRunner;

namespace Backprop.Cli.Tests.Training;

/// <summary>
/// The run folder is never a mixed set: files are written atomically in the real folder with model.json last, a new run deletes
/// the old model.json first, loaders take only model.json with the weights it describes; killed runs resume; temp files do not stay.
/// </summary>
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
    public void ReusedOut_WithOtherLayers_AfterAKilledRun_IsRewritten_AndTempFilesGo()
    {
        var run = Path.Combine(dir, "run");
        Assert.Equal(0, Run("train", "--dataset", "iris", "--layers", "8", "--epochs", "1", "--out", run).Code);
        // What killed runs leave: temp files of atomic writes (older names and AtomicFile's .NAME.PID.GUID.tmp).
        int dead = DeadPid();
        File.WriteAllText(Path.Combine(run, "model.json.tmp"), "{\"hidden\": [");
        File.WriteAllBytes(Path.Combine(run, $".best.safetensors.{dead}.tmp"), [1, 2, 3]);
        File.WriteAllBytes(Path.Combine(run, $".model.safetensors.{dead}.{Guid.NewGuid():N}.tmp"), [1, 2, 3]);

        var (code, output, err) = Run("train", "--dataset", "iris", "--layers", "16", "--epochs", "1", "--out", run);
        Assert.True(code == 0, err);
        Assert.Equal(16, Hidden(run));
        Assert.Empty(Directory.GetFiles(run, "*.tmp"));
        Assert.Equal([run], Directory.GetDirectories(dir)); // nothing beside the folder either
        Assert.Equal(0, Run("eval", "--model", run).Code); // model.json and the weights belong together
        foreach (var f in new[] { "metrics.csv", "curves.png", "model.safetensors", "model.json", "checkpoint.safetensors" }) Assert.Contains(f, output);
    }

    [Fact]
    public void AFolderWithoutModelJson_IsNotLoaded_AndAStaleModelJsonBesideOtherWeightsIsRefused()
    {
        var run = Path.Combine(dir, "run");
        Assert.Equal(0, Run("train", "--dataset", "iris", "--layers", "8", "--epochs", "1", "--out", run).Code);
        var json = File.ReadAllText(Path.Combine(run, "model.json"));
        // A new run deletes model.json before writing anything else: until its end the folder is not a loadable set.
        File.Delete(Path.Combine(run, "model.json"));
        AssertOneLineError(Run("eval", "--model", run), 1, "model.json");
        // And even a model.json that is not the one of the weights beside it is refused, naming both files, never a crash.
        File.WriteAllText(Path.Combine(run, "model.json"), json.Replace("\"hidden\": [\n    8\n  ]", "\"hidden\": [\n    16\n  ]"));
        Assert.Equal(16, Hidden(run));
        AssertOneLineError(Run("eval", "--model", run), 1, "model.safetensors", "model.json", "not from the same run");
    }

    [Fact]
    public void FailedRun_CreatesNoFolder()
    {
        var run = Path.Combine(dir, "never");
        var csv = Path.Combine(dir, "tiny.csv");
        File.WriteAllLines(csv, ["a,label", "1,0", "2,1"]); // too few rows for a split: fails before anything is written
        Assert.Equal(1, Run("train", "--dataset", csv, "--out", run).Code);
        Assert.Empty(Directory.GetDirectories(dir));
    }

    /// <summary>
    /// Starts <c>backprop ARGS</c> as a child, waits until it has finished an epoch and written a new checkpoint into
    /// <paramref name="run"/>, then SIGKILLs it somewhere in the following epoch or its writes.
    /// </summary>
    private static async Task KillAfterAnEpoch(string run, params string[] args)
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "Backprop.Cli.dll");
        var checkpoint = Path.Combine(run, RunFolder.CheckpointFile);
        var before = File.Exists(checkpoint) ? File.GetLastWriteTimeUtc(checkpoint) : DateTime.MinValue;
        using var p = Process.Start(new ProcessStartInfo("dotnet", [cli, .. args])
        { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false })!;
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((!File.Exists(checkpoint) || File.GetLastWriteTimeUtc(checkpoint) == before) && DateTime.UtcNow < deadline && !p.HasExited) await Task.Delay(20);
        Assert.True(File.Exists(checkpoint) && File.GetLastWriteTimeUtc(checkpoint) != before, "the child never finished an epoch");
        await Task.Delay(Random.Shared.Next(20, 200));
        p.Kill();
        await p.WaitForExitAsync();
    }

    [Fact]
    public async Task SigKill_OfAResume_LeavesThePreviousSetWhole_OfANewRun_LeavesNoLoadableMix_AndBothResume()
    {
        if (!OperatingSystem.IsLinux()) return;
        var run = Path.Combine(dir, "run");
        Assert.Equal(0, Run("train", "--dataset", "iris", "--layers", "8", "--epochs", "1", "--out", run).Code);
        var weights = File.ReadAllBytes(Path.Combine(run, "model.safetensors"));

        // A resume killed mid-run: model.json and model.safetensors are written only at its end, so the previous complete set still loads.
        await KillAfterAnEpoch(run, "train", "--resume", run, "--epochs", "100000");
        Assert.Equal(8, Hidden(run));
        Assert.Equal(weights, File.ReadAllBytes(Path.Combine(run, "model.safetensors")));
        Assert.Equal(0, Run("eval", "--model", run).Code);

        // A new run with other --layers killed mid-run: its model.json was deleted first, so the folder never pairs the old
        // model.json with the new weights; eval says model.json is missing (exit 1, one line), never a size mismatch.
        await KillAfterAnEpoch(run, "train", "--dataset", "iris", "--layers", "32", "--epochs", "100000", "--out", run);
        Assert.False(File.Exists(Path.Combine(run, "model.json")));
        AssertOneLineError(Run("eval", "--model", run), 1, "model.json");
        // Its checkpoint carries its own model.json, so it resumes; the end of the resume writes a complete set.
        int done = Backprop.IO.Checkpoint.Load(Path.Combine(run, RunFolder.CheckpointFile)).Epoch;
        var (code, _, err) = Run("train", "--resume", run, "--epochs", (done + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(code == 0, err);
        Assert.Equal(32, Hidden(run));
        Assert.Equal(0, Run("eval", "--model", run).Code);
        Assert.Empty(Directory.GetFiles(run, "*.tmp")); // the next run cleaned what the dead processes left
        Assert.Equal([run], Directory.GetDirectories(dir));
    }
}
