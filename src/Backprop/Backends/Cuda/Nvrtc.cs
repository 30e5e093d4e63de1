using System.Runtime.InteropServices;
using System.Text;

namespace Backprop.Backends.Cuda;

/// <summary>A run-time CUDA C compiler (NVRTC): the real one binds libnvrtc, the tests' fake records what it was asked.</summary>
internal interface INvrtc
{
    /// <summary>The compiler's version (nvrtcVersion), part of every kernel-cache key.</summary>
    (int Major, int Minor) Version { get; }

    /// <summary>
    /// Compiles <paramref name="source"/> with <paramref name="options"/> (which include <c>-arch=sm_XX</c>) straight to a
    /// CUBIN; returns it with the compiler's log. A compile error throws a <see cref="CudaException"/> (NVRTC_ERROR_COMPILATION)
    /// whose message holds the whole log.
    /// </summary>
    (byte[] Cubin, string Log) Compile(string source, string name, IReadOnlyList<string> options);
}

/// <summary>
/// <see cref="INvrtc"/> over libnvrtc.so.13 (or .12, or 11.x; see <see cref="CudaLibraries"/>). Compiles to CUBIN (nvrtcGetCUBIN) for the device's own architecture,
/// never to PTX: PTX from an NVRTC newer than the driver fails with CUDA_ERROR_UNSUPPORTED_PTX_VERSION (candle #2237, cupy #5097).
/// </summary>
internal sealed unsafe partial class Nvrtc : INvrtc
{
    private const string Lib = CudaLibraries.Nvrtc;

    [LibraryImport(Lib)] private static partial int nvrtcVersion(int* major, int* minor);
    [LibraryImport(Lib)] private static partial int nvrtcCreateProgram(nint* program, byte* source, byte* name, int headers, byte** headerSources, byte** headerNames);
    [LibraryImport(Lib)] private static partial int nvrtcCompileProgram(nint program, int count, byte** options);
    [LibraryImport(Lib)] private static partial int nvrtcGetProgramLogSize(nint program, nuint* size);
    [LibraryImport(Lib)] private static partial int nvrtcGetProgramLog(nint program, byte* log);
    [LibraryImport(Lib)] private static partial int nvrtcGetCUBINSize(nint program, nuint* size);
    [LibraryImport(Lib)] private static partial int nvrtcGetCUBIN(nint program, byte* cubin);
    [LibraryImport(Lib)] private static partial int nvrtcDestroyProgram(nint* program);

    private Nvrtc() { }

    /// <summary>Loads libnvrtc; throws <see cref="DllNotFoundException"/> naming the paths tried.</summary>
    public static Nvrtc Open()
    {
        CudaLibraries.Load(CudaLibraries.Nvrtc);
        return new Nvrtc();
    }

    public (int Major, int Minor) Version
    {
        get
        {
            int major, minor;
            CudaErrors.CheckNvrtc(nvrtcVersion(&major, &minor), "nvrtcVersion");
            return (major, minor);
        }
    }

    public (byte[] Cubin, string Log) Compile(string source, string name, IReadOnlyList<string> options)
    {
        var handles = new List<GCHandle>();
        byte* Pin(string s)
        {
            var h = GCHandle.Alloc(Encoding.UTF8.GetBytes(s + "\0"), GCHandleType.Pinned);
            handles.Add(h);
            return (byte*)h.AddrOfPinnedObject();
        }
        nint program = 0;
        try
        {
            CudaErrors.CheckNvrtc(nvrtcCreateProgram(&program, Pin(source), Pin(name + ".cu"), 0, null, null), $"nvrtcCreateProgram({name})");
            var optionPointers = new nint[options.Count];
            for (int i = 0; i < options.Count; i++) optionPointers[i] = (nint)Pin(options[i]);
            int result;
            fixed (nint* o = optionPointers) result = nvrtcCompileProgram(program, options.Count, (byte**)o);
            string log = Log(program);
            CudaErrors.CheckNvrtc(result, $"compiling CUDA kernel {name} with {string.Join(' ', options)}", log);
            nuint size;
            CudaErrors.CheckNvrtc(nvrtcGetCUBINSize(program, &size), "nvrtcGetCUBINSize");
            var cubin = new byte[(int)size];
            fixed (byte* c = cubin) CudaErrors.CheckNvrtc(nvrtcGetCUBIN(program, c), "nvrtcGetCUBIN");
            return (cubin, log);
        }
        finally
        {
            if (program != 0) nvrtcDestroyProgram(&program);
            foreach (var h in handles) h.Free();
        }
    }

    private static string Log(nint program)
    {
        nuint size;
        if (nvrtcGetProgramLogSize(program, &size) != 0 || size <= 1) return "";
        var buffer = new byte[(int)size];
        fixed (byte* b = buffer) nvrtcGetProgramLog(program, b);
        return Encoding.UTF8.GetString(buffer, 0, buffer.Length - 1).Trim();
    }
}
