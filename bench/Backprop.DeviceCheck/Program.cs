using System.Diagnostics;
using Backprop.Backends.Cuda;

namespace Backprop.DeviceCheck;

/// <summary>
/// Runs on a GPU machine: <c>compile</c> compiles every kernel module for the device and prints every NVRTC log, then
/// looks up every kernel; each parity group then runs in a child process (<c>group NAME</c>), so a bad memory access in
/// one group does not hide the others; <c>figures</c> prints the SGEMM throughput; <c>ops</c> compares ops' forward and
/// backward through the public API with the CPU; <c>train mlp|cnn</c> trains each model a
/// few hundred steps on the CPU and on CUDA through the public API and compares; <c>speed</c> prints the issue's speed
/// figures as the peer's JSON lines. With no argument it runs all of these, each in a child process.
/// Exit code 0 only when every step passed.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        try
        {
            return args switch
            {
                [] => All(),
                ["compile"] => Compile(),
                ["group", var name] => RunGroup(name),
                ["figures"] => Figures.Run(),
                ["ops"] => OpParity.Run(),
                ["train", var model] => Training.Run(model),
                ["speed"] => Speed.Run(),
                _ => Usage(),
            };
        }
        catch (Exception e) when (e is CudaException or DllNotFoundException or NotSupportedException or InvalidOperationException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    private static int Usage()
    {
        Console.Error.WriteLine("usage: Backprop.DeviceCheck [compile | group NAME | figures | ops | train mlp|cnn | speed]; groups: " + string.Join(", ", Groups.Names));
        return 2;
    }

    private static int All()
    {
        int failed = 0;
        var steps = new List<(string Step, int Code, double Seconds)>();
        foreach (var step in new[] { new[] { "compile" } }.Concat(Groups.Names.Select(g => new[] { "group", g })).Append(["figures"])
            .Append(["ops"]).Concat(Training.Models.Select(m => new[] { "train", m })).Append(["speed"]))
        {
            var watch = Stopwatch.StartNew();
            int code = Child(step);
            steps.Add((string.Join(' ', step), code, watch.Elapsed.TotalSeconds));
            if (code != 0) failed++;
        }
        Console.WriteLine();
        Console.WriteLine("summary:");
        foreach (var (step, code, seconds) in steps)
            Console.WriteLine($"  {(code == 0 ? "PASS" : $"FAIL (exit {code})"),-16} {step,-20} {seconds,7:F1} s");
        return failed == 0 ? 0 : 1;
    }

    /// <summary>Runs this program again with <paramref name="args"/>, its output passing straight through.</summary>
    private static int Child(string[] args)
    {
        Console.WriteLine($"==> {string.Join(' ', args)}");
        Console.Out.Flush();
        var info = new ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var child = Process.Start(info)!;
        child.WaitForExit();
        return child.ExitCode;
    }

    /// <summary>Runs one parity group on the GPU; exit 0 when all its comparisons passed.</summary>
    private static int RunGroup(string name)
    {
        var group = Groups.Get(name);
        using var gpu = Gpu.Open();
        var p = new Parity(gpu.Cuda);
        group(gpu.Cuda, p);
        gpu.Driver.Synchronize();
        Console.WriteLine($"group {name}: {p.Checks - p.Failures}/{p.Checks} passed");
        return p.Failures == 0 ? 0 : 1;
    }

    /// <summary>Compiles every module (printing every log, also of modules that fail) and finds every kernel.</summary>
    private static int Compile()
    {
        using var device = Gpu.Open();
        var (major, minor) = device.Nvrtc.Version;
        Console.WriteLine($"device: {device.Driver.DeviceName(0)}, sm_{device.Cuda.Arch}, {device.Cuda.Multiprocessors} SMs, " +
            $"driver CUDA {device.Driver.DriverVersion / 1000}.{device.Driver.DriverVersion % 1000 / 10}, NVRTC {major}.{minor} ({CudaLibraries.LoadedFrom(CudaLibraries.Nvrtc)})");
        int failures = 0, kernels = 0;
        foreach (var module in KernelSources.Modules)
        {
            var watch = Stopwatch.StartNew();
            try
            {
                device.Cuda.Module(module);
                foreach (var name in KernelSources.KernelNames(KernelSources.Source(module)))
                {
                    device.Cuda.Function(module, name);
                    kernels++;
                }
                Console.WriteLine($"module {module}: ok ({watch.Elapsed.TotalSeconds:F1} s)");
            }
            catch (CudaException e)
            {
                failures++;
                Console.WriteLine($"module {module}: FAILED: {e.Message}");
            }
        }
        Console.WriteLine($"NVRTC logs ({device.Cuda.Kernels.Logs.Count} compilations, cache {device.Cuda.Kernels.Directory}):");
        foreach (var (name, log) in device.Cuda.Kernels.Logs)
            Console.WriteLine($"--- {name}\n{(log.Length == 0 ? "(empty)" : log)}");
        Console.WriteLine($"{kernels} kernels found, {failures} module(s) failed");
        return failures == 0 ? 0 : 1;
    }
}

/// <summary>The real driver, NVRTC and the device, opened for one check step.</summary>
internal sealed class Gpu : IDisposable
{
    public required ICudaDriver Driver { get; init; }
    public required INvrtc Nvrtc { get; init; }
    public required CudaDevice Cuda { get; init; }

    public static Gpu Open()
    {
        var driver = CudaDriver.Open();
        if (driver.DeviceCount == 0) throw new NotSupportedException("the CUDA driver reports no device");
        var nvrtc = Backprop.Backends.Cuda.Nvrtc.Open();
        var dir = Environment.GetEnvironmentVariable(KernelCache.DirectoryVariable) ?? Path.Combine(AppContext.BaseDirectory, "kernel-cache");
        return new Gpu { Driver = driver, Nvrtc = nvrtc, Cuda = new CudaDevice(driver, 0, new KernelCache(nvrtc, dir)) };
    }

    public void Dispose() => Cuda.Dispose();
}
