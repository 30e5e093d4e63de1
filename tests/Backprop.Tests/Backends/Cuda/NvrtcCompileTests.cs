using System.Text;
using Backprop.Backends.Cuda;

namespace Backprop.Tests.Backends.Cuda;

/// <summary>
/// Every kernel module compiled by the real NVRTC straight to CUBIN, with the backend's own options, for the H100/H200
/// (sm_90) and the A100 (sm_80): a kernel that does not compile fails here, with every compiler log at once, instead of on
/// the GPU machine.
/// </summary>
public class NvrtcCompileTests
{
    [NvrtcFact]
    public void EveryModule_CompilesToCubin_ForSm90AndSm80_DefiningEveryKernel()
    {
        var nvrtc = RealNvrtc.Compiler!;
        var failures = new StringBuilder();
        int compiled = 0;
        foreach (int arch in new[] { 90, 80 })
            foreach (var module in KernelSources.Modules)
            {
                string source = KernelSources.Source(module);
                try
                {
                    var (cubin, _) = nvrtc.Compile(source, module, KernelCache.Options(arch));
                    // A CUBIN is an ELF image whose symbol table names every extern "C" kernel.
                    Assert.True(cubin.Length > 4 && cubin[0] == 0x7f && cubin[1] == (byte)'E', $"{module} sm_{arch}: not an ELF image");
                    string image = Encoding.Latin1.GetString(cubin);
                    foreach (var kernel in KernelSources.KernelNames(source))
                        if (!image.Contains(kernel + "\0", StringComparison.Ordinal)) failures.AppendLine($"{module} sm_{arch}: kernel {kernel} is not in the CUBIN");
                    compiled++;
                }
                catch (CudaException e) { failures.AppendLine($"{module} sm_{arch}:\n{e.Message}\n"); }
            }
        var (major, minor) = nvrtc.Version;
        Assert.True(failures.Length == 0, $"NVRTC {major}.{minor} ({CudaLibraries.LoadedFrom(CudaLibraries.Nvrtc)}):\n{failures}");
        Assert.Equal(KernelSources.Modules.Length * 2, compiled);
    }

    [NvrtcFact]
    public void ACompileError_CarriesTheWholeLog()
    {
        var e = Assert.Throws<CudaException>(() => RealNvrtc.Compiler!.Compile(
            "extern \"C\" __global__ void broken(float* y) { y[0] = undefined_name; }", "broken", KernelCache.Options(90)));
        Assert.Contains("NVRTC_ERROR_COMPILATION", e.Message);
        Assert.Contains("undefined_name", e.Message);
    }
}
