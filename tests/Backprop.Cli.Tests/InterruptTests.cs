using System.Diagnostics;

namespace Backprop.Cli.Tests;

/// <summary>Ctrl+C (SIGINT) during training: the run stops after the current batch and still writes everything.</summary>
public sealed class InterruptTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("backprop-int-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public async Task SigInt_StopsTrainingAndWritesTheRunFolder()
    {
        if (!OperatingSystem.IsLinux()) return; // SIGINT delivery below uses kill(1)
        var cli = Path.Combine(AppContext.BaseDirectory, "Backprop.Cli.dll");
        var start = new ProcessStartInfo("dotnet", [cli, "train", "--epochs", "100000", "--out", dir])
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
        using (var kill = Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!) kill.WaitForExit();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        Assert.Equal(0, process.ExitCode);
        process.WaitForExit(); // flushes the redirected output
        Assert.Contains(lines, l => l.Contains("interrupted", StringComparison.Ordinal));
        foreach (var f in new[] { "metrics.csv", "curves.png", "model.safetensors", "model.json", "best.safetensors" })
            Assert.True(File.Exists(Path.Combine(dir, f)), f);
        var rows = File.ReadAllLines(Path.Combine(dir, "metrics.csv")).Length - 1;
        Assert.InRange(rows, 1, 99_999);
        Assert.Empty(Directory.GetFiles(dir, "*.tmp*"));
    }
}
