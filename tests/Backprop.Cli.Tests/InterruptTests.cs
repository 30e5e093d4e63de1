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
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        Assert.Equal(130, process.ExitCode); // 128 + SIGINT, as a shell reports a program stopped by Ctrl+C
        process.WaitForExit(); // flushes the redirected output
        Assert.Contains(lines, l => l.Contains("interrupted", StringComparison.Ordinal));
        foreach (var f in new[] { "metrics.csv", "curves.png", "model.safetensors", "model.json", "best.safetensors" })
            Assert.True(File.Exists(Path.Combine(dir, f)), f);
        var rows = File.ReadAllLines(Path.Combine(dir, "metrics.csv"))[1..];
        Assert.InRange(rows.Length, 1, 99_999);
        Assert.All(rows[..^1], r => Assert.EndsWith(",complete", r));
        Assert.EndsWith(",partial", rows[^1]); // the cut epoch is marked, not recorded as a normal row
        Assert.Empty(Directory.GetFiles(dir, "*.tmp*"));
        Assert.Empty(Directory.GetDirectories(Path.GetDirectoryName(dir)!, $".{Path.GetFileName(dir)}.*"));
    }
}
