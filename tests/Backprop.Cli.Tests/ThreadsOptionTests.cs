using System.Diagnostics;
using Backprop.Cli;

namespace Backprop.Cli.Tests;

/// <summary><c>--threads</c> above the core count and <c>BACKPROP_NUM_THREADS</c>: accepted, warned about, and training still runs.</summary>
[Collection("cli")] // commands share the process-wide thread setting and console
public sealed class ThreadsOptionTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("backprop-threads-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static (int Code, string Out, string Err) Run(params string[] args) => CliRunner.Run(args);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ThreadsAboveTheCores_TrainWithAWarning(bool dynamic)
    {
        int before = Threading.NumThreads;
        bool dynamicBefore = Threading.Dynamic;
        try
        {
            Threading.Dynamic = dynamic;
            int threads = Threading.AvailableCores + 6;
            var (code, output, error) = Run("train", "--threads", threads.ToString(System.Globalization.CultureInfo.InvariantCulture), "--epochs", "2", "--out", Path.Combine(dir, $"run{dynamic}"));
            Assert.True(code == 0, error);
            Assert.Contains("epoch   2/2", output);
            Assert.Contains($"warning: {threads} threads asked for, but this process may use {Threading.AvailableCores} cores", error);
            Assert.Equal(threads, Threading.NumThreads);
        }
        finally
        {
            Threading.SetNumThreads(before);
            Threading.Dynamic = dynamicBefore;
        }
    }

    [Fact]
    public void ThreadsWithinTheCores_NoWarning()
    {
        int before = Threading.NumThreads;
        try
        {
            var (code, _, error) = Run("train", "--threads", "1", "--epochs", "1", "--out", Path.Combine(dir, "one"));
            Assert.True(code == 0, error);
            Assert.DoesNotContain("warning", error);
        }
        finally { Threading.SetNumThreads(before); }
    }

    [Theory]
    [InlineData("1", false)]
    [InlineData("zero", true)]
    public async Task BackpropNumThreads_SetsTheDefault_OrIsIgnoredWithAWarning(string value, bool warns)
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "Backprop.Cli.dll");
        var start = new ProcessStartInfo("dotnet", [cli, "bench", "--only", "tiny_step"]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.Environment["BACKPROP_NUM_THREADS"] = value;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        Assert.Equal(0, process.ExitCode);
        Assert.Equal(warns, (await stderr).Contains("BACKPROP_NUM_THREADS='zero' is not a positive integer", StringComparison.Ordinal));
        Assert.Contains("tiny_step", await stdout);
    }
}
