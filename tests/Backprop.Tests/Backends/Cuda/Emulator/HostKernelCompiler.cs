using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Backprop.Backends.Cuda;

namespace Backprop.Tests.Backends.Cuda.Emulator;

/// <summary>
/// An <see cref="INvrtc"/> that "compiles" a kernel module for the <see cref="EmulatedCudaDriver"/>: the same CUDA C, behind
/// <c>cuda_emu.h</c>, built by g++ into a shared library with one <c>&lt;kernel&gt;__launch</c> trampoline per kernel. The
/// "CUBIN" it returns is the library's path; libraries are cached in the temp folder by the SHA-256 of what was compiled.
/// </summary>
internal sealed class HostKernelCompiler : INvrtc
{
    /// <summary>g++ on PATH, or null.</summary>
    public static string? Gxx { get; } = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
        .Select(d => Path.Combine(d, "g++")).FirstOrDefault(File.Exists);

    public const string SkipReason = "g++ is not installed (apt-get install g++), so the CUDA kernels cannot run on the host emulator; .ci/run installs it, so these tests run in CI";

    private static readonly string[] Flags = ["-std=c++20", "-O1", "-fPIC", "-shared", "-pthread", "-ffp-contract=off", "-w"];
    private static readonly Lock gate = new();

    public (int Major, int Minor) Version => (0, 1);

    /// <summary>The shim header every module is compiled behind.</summary>
    public static string Shim { get; } = ReadShim();

    private static string ReadShim()
    {
        using var stream = typeof(HostKernelCompiler).Assembly.GetManifestResourceStream("cuda_emu.h")
            ?? throw new InvalidOperationException("cuda_emu.h is not embedded in the test assembly.");
        return new StreamReader(stream).ReadToEnd();
    }

    /// <summary>The C++ translation unit for <paramref name="source"/>: the shim, the module, and a trampoline per kernel.</summary>
    public static string TranslationUnit(string source)
    {
        var sb = new StringBuilder(Shim).Append("\n#line 1 \"module.cu\"\n").Append(source).Append("\n// Trampolines\n");
        string barrier = source.Contains("__syncthreads", StringComparison.Ordinal) ? "true" : "false";
        foreach (var kernel in KernelSources.KernelNames(source))
            sb.Append($"extern \"C\" void {kernel}__launch(void** a, int g, int b) {{ bp_emu_launch<{barrier}>({kernel}, a, g, b); }}\n");
        return sb.ToString();
    }

    public (byte[] Cubin, string Log) Compile(string source, string name, IReadOnlyList<string> options)
    {
        string unit = TranslationUnit(source);
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\0', [.. Flags, unit]))));
        string dir = Path.Combine(Path.GetTempPath(), "backprop-cuda-emulator");
        string library = Path.Combine(dir, $"{name}-{hash[..16]}.so");
        lock (gate)
        {
            if (File.Exists(library)) return (Encoding.UTF8.GetBytes(library), "");
            Directory.CreateDirectory(dir);
            string stem = Path.Combine(dir, $"{name}-{hash[..16]}.{Environment.ProcessId}.{Guid.NewGuid():N}");
            File.WriteAllText(stem + ".cpp", unit);
            var info = new ProcessStartInfo(Gxx ?? throw new InvalidOperationException(SkipReason))
            {
                RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false,
            };
            foreach (var f in Flags) info.ArgumentList.Add(f);
            info.ArgumentList.Add(stem + ".cpp");
            info.ArgumentList.Add("-o");
            info.ArgumentList.Add(stem + ".so");
            using var p = Process.Start(info)!;
            var stderr = p.StandardError.ReadToEndAsync();
            string stdout = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            string log = (stdout + stderr.Result).Trim();
            if (p.ExitCode != 0)
                throw new InvalidOperationException($"g++ could not build the emulated CUDA module {name} (source kept at {stem}.cpp):\n{log}");
            File.Move(stem + ".so", library, overwrite: true);
            File.Delete(stem + ".cpp");
            return (Encoding.UTF8.GetBytes(library), log);
        }
    }
}

/// <summary>A fact that runs only where g++ can build the host emulator of the kernels.</summary>
public sealed class EmulatorFactAttribute : FactAttribute
{
    public EmulatorFactAttribute() { if (HostKernelCompiler.Gxx is null) Skip = HostKernelCompiler.SkipReason; }
}

/// <summary>A theory that runs only where g++ can build the host emulator of the kernels.</summary>
public sealed class EmulatorTheoryAttribute : TheoryAttribute
{
    public EmulatorTheoryAttribute() { if (HostKernelCompiler.Gxx is null) Skip = HostKernelCompiler.SkipReason; }
}
