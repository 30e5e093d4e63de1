using System.Text.RegularExpressions;

namespace Backprop.Backends.Cuda;

/// <summary>
/// The CUDA C modules of the backend: <c>common.cuh</c> (embedded) prepended to the generated elementwise modules
/// (<see cref="ElementwiseKernels"/>) and the hand-written ones embedded from <c>Backends/Cuda/Kernels/*.cu</c>.
/// </summary>
internal static class KernelSources
{
    /// <summary>The module names, in compile order.</summary>
    public static readonly string[] Modules = ["unary", "binary", "fused", "reduce", "total", "copy", "index", "window", "norm", "scan", "recurrent", "attention"];

    /// <summary>The complete source of module <paramref name="module"/>, ready for NVRTC.</summary>
    public static string Source(string module)
    {
        string body = module switch
        {
            "unary" => ElementwiseKernels.UnarySource(),
            "binary" => ElementwiseKernels.BinarySource(),
            _ => Resource(module + ".cu"),
        };
        return Resource("common.cuh") + "\n" + body;
    }

    /// <summary>An embedded kernel file by name; throws naming it when the build did not embed it.</summary>
    public static string Resource(string file)
    {
        using var stream = typeof(KernelSources).Assembly.GetManifestResourceStream("Backprop.Cuda." + file)
            ?? throw new InvalidOperationException($"internal: the CUDA kernel source {file} is not embedded in {typeof(KernelSources).Assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>
    /// The extern "C" kernel names a module's source defines, with each macro-defined one (<c>name_##S</c> inside
    /// <c>#define BP_X(T, S)</c>) expanded for every <c>BP_X(type, suffix)</c> line: the device check looks each one up after loading.
    /// </summary>
    public static IEnumerable<string> KernelNames(string source)
    {
        const string marker = "extern \"C\" __global__ void ";
        var defines = Regex.Matches(source, @"^#define (BP_[A-Z0-9_]+)\(T, S\)", RegexOptions.Multiline);
        for (int at = source.IndexOf(marker, StringComparison.Ordinal); at >= 0; at = source.IndexOf(marker, at + 1, StringComparison.Ordinal))
        {
            int start = at + marker.Length, end = source.IndexOf('(', start);
            string name = source[start..end];
            if (!name.EndsWith("##S", StringComparison.Ordinal)) { yield return name; continue; }
            string macro = defines.Last(d => d.Index < at).Groups[1].Value;
            foreach (Match use in Regex.Matches(source, "^" + macro + @"\([\w ]+,\s*(\w+)\)", RegexOptions.Multiline))
                yield return name[..^3] + use.Groups[1].Value;
        }
    }
}
