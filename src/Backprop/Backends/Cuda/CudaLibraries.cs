using System.Reflection;
using System.Runtime.InteropServices;

namespace Backprop.Backends.Cuda;

/// <summary>
/// Finds and loads the machine's CUDA libraries on first use, by versioned name (the driver's libcuda.so.1; NVRTC and cuBLAS
/// 13, then 12; NVRTC 11.2+ last, which compiles every kernel but only for architectures up to sm_90), so nothing CUDA ships in the package and nothing is loaded unless a CUDA device is asked for. The
/// <c>LibraryImport</c> bindings name placeholders (<see cref="Driver"/>, <see cref="Nvrtc"/>, <see cref="Cublas"/>) that
/// the assembly's import resolver maps to the loaded handles (trim- and AOT-safe: no reflection, no emitted code).
/// </summary>
internal static class CudaLibraries
{
    public const string Driver = "backprop-cuda";
    public const string Nvrtc = "backprop-nvrtc";
    public const string Cublas = "backprop-cublas";

    /// <summary>Extra folders to search first (colon-separated), e.g. a CUDA toolkit outside the loader's path.</summary>
    public const string PathVariable = "BACKPROP_CUDA_LIBRARY_PATH";

    /// <summary>A full path (or file name) of the NVRTC library to try before every other name, e.g. a toolkit's libnvrtc.so.12.8.</summary>
    public const string NvrtcVariable = "BACKPROP_NVRTC_LIBRARY";

    /// <summary>The names tried for each library, newest first.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> Candidates = new Dictionary<string, string[]>
    {
        [Driver] = ["libcuda.so.1", "libcuda.so"],
        [Nvrtc] = ["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2"], // 11.2 is the soname of every NVRTC 11.x (Debian's libnvrtc11.2)
        [Cublas] = ["libcublas.so.13", "libcublas.so.12"],
    };

    /// <summary>Folders where toolkits install NVRTC and cuBLAS when they are not on the loader's path.</summary>
    private static readonly string[] ToolkitFolders =
        ["/usr/local/cuda/targets/x86_64-linux/lib", "/usr/local/cuda/lib64", "/usr/lib/x86_64-linux-gnu"];

    private static readonly Dictionary<string, (nint Handle, string From)> loaded = [];
    private static readonly Lock gate = new();
    private static bool resolverSet;

    /// <summary>The handle of <paramref name="library"/>, loading it on the first call; throws naming every name tried.</summary>
    public static nint Load(string library)
    {
        lock (gate)
        {
            if (loaded.TryGetValue(library, out var hit)) return hit.Handle;
            var tried = new List<string>();
            foreach (var path in SearchPaths(library))
            {
                tried.Add(path);
                if (!NativeLibrary.TryLoad(path, out var handle)) continue;
                loaded[library] = (handle, path);
                if (!resolverSet)
                {
                    NativeLibrary.SetDllImportResolver(typeof(CudaLibraries).Assembly, Resolve);
                    resolverSet = true;
                }
                return handle;
            }
            throw new DllNotFoundException(NotFoundMessage(library, tried));
        }
    }

    /// <summary>True when <paramref name="library"/> loads (it stays loaded).</summary>
    public static bool TryLoad(string library)
    {
        try { Load(library); return true; }
        catch (DllNotFoundException) { return false; }
    }

    /// <summary>Where <paramref name="library"/> was loaded from, or null.</summary>
    public static string? LoadedFrom(string library)
    {
        lock (gate) return loaded.TryGetValue(library, out var hit) ? hit.From : null;
    }

    /// <summary>
    /// The paths tried for <paramref name="library"/>: for NVRTC <see cref="NvrtcVariable"/> first; then each name in the
    /// override folders, then by name (the loader's path), then in the toolkit folders.
    /// </summary>
    internal static IEnumerable<string> SearchPaths(string library)
    {
        var names = Candidates[library];
        if (library == Nvrtc && Environment.GetEnvironmentVariable(NvrtcVariable) is { Length: > 0 } exact) yield return exact;
        var custom = (Environment.GetEnvironmentVariable(PathVariable) ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries);
        foreach (var dir in custom) foreach (var n in names) yield return Path.Combine(dir, n);
        foreach (var n in names) yield return n;
        if (library == Driver) yield break; // the driver comes with the kernel module, on the loader's path
        var home = Environment.GetEnvironmentVariable("CUDA_HOME") ?? Environment.GetEnvironmentVariable("CUDA_PATH");
        var folders = home is { Length: > 0 } ? [Path.Combine(home, "lib64"), Path.Combine(home, "targets/x86_64-linux/lib"), .. ToolkitFolders] : ToolkitFolders;
        foreach (var dir in folders) foreach (var n in names) yield return Path.Combine(dir, n);
    }

    internal static string NotFoundMessage(string library, IEnumerable<string> tried) => library switch
    {
        Driver => "CUDA is not available: no CUDA driver was found (could not load " + string.Join(" or ", Candidates[Driver]) +
            "). Install the NVIDIA driver, or use Device.Cpu.",
        _ => $"CUDA: could not load {(library == Nvrtc ? "NVRTC" : "cuBLAS")} (tried {string.Join(", ", tried)}). Install the CUDA " +
            $"toolkit's {(library == Nvrtc ? "cuda-nvrtc" : "libcublas")} 12 or 13, or set {PathVariable} to the folder holding {Candidates[library][0]}" +
            (library == Nvrtc ? $" (or {NvrtcVariable} to the library itself)." : "."),
    };

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        lock (gate) return loaded.TryGetValue(name, out var hit) ? hit.Handle : 0;
    }
}
