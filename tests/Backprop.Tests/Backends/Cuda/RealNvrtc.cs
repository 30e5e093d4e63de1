using Backprop.Backends.Cuda;

namespace Backprop.Tests.Backends.Cuda;

/// <summary>
/// The machine's real NVRTC (libnvrtc.so.13, .12 or Debian's 11.x; no driver or GPU needed), opened once for the tests
/// that compile every kernel. <see cref="Opening"/> is set before the library loads, so the test that proves asking for
/// CUDA loads only the driver can tell a load made here from one made by the backend.
/// </summary>
internal static class RealNvrtc
{
    private static volatile bool opening;
    private static readonly Lazy<Nvrtc?> compiler = new(() =>
    {
        opening = true;
        try { return Nvrtc.Open(); }
        catch (DllNotFoundException) { return null; }
    });

    /// <summary>True once a test has asked for the real NVRTC (whether or not it loaded).</summary>
    public static bool Opening => opening;

    /// <summary>The compiler, or null when no NVRTC library is installed.</summary>
    public static Nvrtc? Compiler => compiler.Value;

    public const string SkipReason = "no NVRTC library was found (libnvrtc.so.13/.12/.11.2; on Debian: apt-get install libnvrtc11.2 " +
        "from the non-free component, or set BACKPROP_NVRTC_LIBRARY); .ci/run installs it, so these tests run in CI";
}

/// <summary>A fact that runs only when the machine has an NVRTC library, and is skipped saying so otherwise.</summary>
public sealed class NvrtcFactAttribute : FactAttribute
{
    public NvrtcFactAttribute() { if (RealNvrtc.Compiler is null) Skip = RealNvrtc.SkipReason; }
}
