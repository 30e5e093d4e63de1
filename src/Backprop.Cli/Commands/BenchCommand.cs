using System.CommandLine;
using System.Diagnostics;
using Backprop.Bench;
using Spectre.Console;

namespace Backprop.Cli.Commands;

/// <summary><c>backprop bench</c>: the benchmark workloads, one JSON line each (same output as bench/Backprop.Bench).</summary>
internal static class BenchCommand
{
    public static Command Create(IAnsiConsole console)
    {
        var threads = Options.Threads();
        var device = Options.Device();
        var only = new Option<string?>("--only") { Description = "comma-separated workload name prefixes, e.g. sgemm,tiny_step" };
        var command = new Command("bench", "Run the benchmark workloads (sgemm128..2048, tiny_step, fmnist_mlp_b64/b256) and print JSON lines.") { threads, only, device };
        command.SetAction(r =>
        {
            if (Options.UseDevice(r.GetValue(device)!) is { Kind: DeviceKind.Cuda } cuda) // reached only once the commands run on CUDA
                throw new NotSupportedException($"bench --device {cuda}: the command's workloads run on the CPU; the CUDA figures come from bench/Backprop.DeviceCheck (speed), see docs/ARCHITECTURE.md.");
            Options.ApplyThreads(r.GetValue(threads), r.InvocationConfiguration.Error);
            var prefixes = r.GetValue(only) is string o ? Options.Words(o) : [];
            bool Want(string w) => prefixes.Length == 0 || prefixes.Any(p => w.StartsWith(p, StringComparison.Ordinal));
            var w = console.Profile.Out.Writer;
            foreach (int n in new[] { 128, 256, 512, 1024, 2048 })
                if (Want($"sgemm{n}")) w.WriteLine(Workloads.Json(("work", $"sgemm{n}"), ("gflops", Math.Round(Workloads.Sgemm(n), 1))));
            if (Want("tiny_step")) w.WriteLine(Workloads.Json(("work", "tiny_step"), ("us_per_step", Math.Round(Workloads.TinyStep(), 3))));
            foreach (int batch in new[] { 64, 256 })
                if (Want($"fmnist_mlp_b{batch}"))
                {
                    var (sps, acc) = Workloads.FashionMnistMlp(batch, 2);
                    w.WriteLine(Workloads.Json(("work", $"fmnist_mlp_b{batch}"), ("samples_per_s", Math.Round(sps)), ("test_acc", Math.Round(acc, 4)), ("epochs", 2),
                        ("peak_ws_mb", Math.Round(Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0))));
                }
            return App.Ok;
        });
        return command;
    }
}
