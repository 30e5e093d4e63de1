using System.Diagnostics;

namespace Backprop.Cli.Tests;

/// <summary>Ctrl+C (SIGINT) during training: the run stops after the current batch, writes everything, marks the cut epoch partial and exits 130.</summary>
public sealed class InterruptTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("backprop-int-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public async Task SigInt_StopsTrainingAndWritesTheRunFolder()
    {
        if (!OperatingSystem.IsLinux()) return; // SIGINT delivery below uses kill(1)
        var cli = Path.Combine(AppContext.BaseDirectory, "Backprop.Cli.dll");
        var start = new ProcessStartInfo("dotnet", [cli, "train", "--epochs", "100000", "--layers", "512,512", "--batch-size", "1", "--out", dir])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        using var process = Process.Start(start)!;
        try { await RunToTheInterrupt(process); }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true); // a failed assertion must not leave training running
        }
    }

    private async Task RunToTheInterrupt(Process process)
    {
        var firstEpoch = new TaskCompletionSource();
        var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lines.Enqueue(e.Data);
            if (e.Data.StartsWith("epoch", StringComparison.Ordinal)) firstEpoch.TrySetResult();
        };
        process.BeginOutputReadLine();
        var started = await Task.WhenAny(firstEpoch.Task, Task.Delay(TimeSpan.FromSeconds(60)));
        Assert.True(started == firstEpoch.Task, "training did not start");
        await Task.Delay(300); // well inside the second epoch (1,438 updates of a 64-512-512-10 MLP take over a second)
        using (var kill = Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!) kill.WaitForExit();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(180)); // generous: a loaded CI machine is slow to write the run folder
        await process.WaitForExitAsync(timeout.Token);
        Assert.Equal(130, process.ExitCode); // 128 + SIGINT, as a shell reports a program stopped by Ctrl+C
        process.WaitForExit(); // flushes the redirected output
        Assert.Contains(lines, l => l.Contains("interrupted", StringComparison.Ordinal));
        foreach (var f in new[] { "metrics.csv", "curves.png", "model.safetensors", "model.json", "best.safetensors" })
            Assert.True(File.Exists(Path.Combine(dir, f)), f);
        var rows = File.ReadAllLines(Path.Combine(dir, "metrics.csv"))[1..];
        Assert.InRange(rows.Length, 1, 99_999);
        // Each row's status says whether its epoch ran all 1,438 updates (batch 1): the cut epoch is marked partial, not
        // recorded as a normal row. (If the signal lands between two epochs, there is no cut epoch and every row is complete.)
        int previous = 0;
        foreach (var row in rows)
        {
            var cells = row.Split(',');
            int updates = int.Parse(cells[6], System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(updates - previous == 1438 ? "complete" : "partial", cells[^1]);
            Assert.InRange(updates - previous, 1, 1438);
            previous = updates;
        }
        Assert.All(rows[..^1], r => Assert.EndsWith(",complete", r));
        Assert.Empty(Directory.GetFiles(dir, "*.tmp*"));
        Assert.Empty(Directory.GetDirectories(Path.GetDirectoryName(dir)!, $".{Path.GetFileName(dir)}.*"));
    }

    [Fact]
    public void CancelledMidEpoch_TheEpochIsYieldedAsPartial_AndWrittenSo()
    {
        var iris = Backprop.Data.Datasets.Iris();
        var data = new Backprop.Cli.Training.SplitData("iris", iris.Features.Narrow(0, 0, 120), iris.Labels.Narrow(0, 0, 120),
            iris.Features.Narrow(0, 120, 30), iris.Labels.Narrow(0, 120, 30), ["a", "b", "c"], [0, 0, 0, 0], [1, 1, 1, 1]);
        var trainer = new Backprop.Cli.Training.Trainer(Backprop.Cli.Training.Mlp.Build(4, [8], 3, "relu", 0), data,
            new Backprop.Cli.Training.TrainOptions { BatchSize = 10, Epochs = 5 });
        using var cancel = new CancellationTokenSource();
        var results = trainer.Run(cancel.Token, (batch, _, _, _) => { if (trainer.TotalUpdates == 12 + 3) cancel.Cancel(); }).ToList();
        Assert.Equal(2, results.Count); // one whole epoch of 12 batches, then 3 batches of the second
        Assert.False(results[0].Partial);
        Assert.True(results[1].Partial);
        Assert.Equal(15, results[1].Updates);
        var csv = Path.Combine(dir, "metrics.csv");
        Backprop.Cli.Commands.TrainCommand.WriteMetrics(csv, results);
        var lines = File.ReadAllLines(csv);
        Assert.EndsWith(",complete", lines[1]);
        Assert.EndsWith(",partial", lines[2]);
    }
}
