using System.Security.Cryptography;
using System.Text;

namespace Backprop.Backends.Cuda;

/// <summary>
/// Compiles CUDA C to CUBIN through NVRTC once per (source, options, architecture, NVRTC version) and keeps the result on
/// disk, the way CuPy's <c>compile_with_cache</c> does: the file is named by the SHA-256 of the key, holds the SHA-256 of
/// the CUBIN (64 hex characters) followed by the CUBIN, and is written to a temporary file in the same folder and renamed
/// over the final name (atomic, so a concurrent reader never sees half a file). An entry whose checksum does not match
/// (truncated, corrupted) is a miss: it is recompiled and rewritten. Compiled images are also kept in memory.
/// </summary>
internal sealed class KernelCache(INvrtc compiler, string directory)
{
    /// <summary>The environment variable naming the cache folder (CuPy's <c>CUPY_CACHE_DIR</c>).</summary>
    public const string DirectoryVariable = "BACKPROP_CUDA_CACHE_DIR";

    private const int HashChars = 64;
    private readonly Dictionary<string, byte[]> memory = [];
    private readonly Lock gate = new();

    /// <summary>The folder holding the entries.</summary>
    public string Directory { get; } = directory;

    /// <summary>Every compiler log of this process, by kernel name, for the device check to print.</summary>
    public List<(string Name, string Log)> Logs { get; } = [];

    /// <summary>Compilations run (misses), for tests and the device check.</summary>
    public int Compilations { get; private set; }

    /// <summary><see cref="DirectoryVariable"/>, else <c>$XDG_CACHE_HOME/backprop/cuda</c>, else <c>~/.cache/backprop/cuda</c>.</summary>
    public static string DefaultDirectory() =>
        Environment.GetEnvironmentVariable(DirectoryVariable) is { Length: > 0 } custom ? custom
        : Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "backprop", "cuda");

    /// <summary>The options every kernel is compiled with for compute capability <paramref name="arch"/> (e.g. 90 → sm_90); no fused multiply-add contraction, so each operation rounds like the CPU backend's.</summary>
    public static string[] Options(int arch) => [$"-arch=sm_{arch}", "--std=c++17", "--fmad=false"];

    /// <summary>The cache key: SHA-256 over the architecture, NVRTC version, options and source, NUL-separated.</summary>
    public string Key(string source, IReadOnlyList<string> options, int arch)
    {
        var (major, minor) = compiler.Version;
        var text = string.Join('\0', [$"sm_{arch}", $"nvrtc {major}.{minor}", .. options, source]);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    /// <summary>The CUBIN of <paramref name="source"/> for <paramref name="arch"/>: from memory, from disk, or compiled (and stored).</summary>
    public byte[] GetOrCompile(string source, string name, int arch, IReadOnlyList<string>? options = null)
    {
        options ??= Options(arch);
        string key = Key(source, options, arch);
        lock (gate)
        {
            if (memory.TryGetValue(key, out var hit)) return hit;
            string path = Path.Combine(Directory, key + ".cubin");
            var cubin = TryRead(path);
            if (cubin is null)
            {
                (cubin, string log) = compiler.Compile(source, name, options);
                Compilations++;
                Logs.Add((name, log));
                TryWrite(path, cubin);
            }
            memory[key] = cubin;
            return cubin;
        }
    }

    /// <summary>The CUBIN stored at <paramref name="path"/>, or null when it is missing or its checksum does not match.</summary>
    internal static byte[]? TryRead(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
        if (bytes.Length <= HashChars) return null;
        var cubin = bytes[HashChars..];
        var expected = Encoding.ASCII.GetString(bytes, 0, HashChars);
        return expected == Convert.ToHexStringLower(SHA256.HashData(cubin)) ? cubin : null;
    }

    /// <summary>Writes checksum + CUBIN to a temporary file beside <paramref name="path"/> and renames it over it; a read-only cache is not an error.</summary>
    internal static void TryWrite(string path, byte[] cubin)
    {
        string temp = path + "." + Environment.ProcessId + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            using (var f = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                f.Write(Encoding.ASCII.GetBytes(Convert.ToHexStringLower(SHA256.HashData(cubin))));
                f.Write(cubin);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
