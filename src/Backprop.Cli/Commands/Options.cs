using System.CommandLine;
using System.Globalization;

namespace Backprop.Cli.Commands;

/// <summary>Options several commands share, and parsing of their list values.</summary>
internal static class Options
{
    public static Option<string> Dataset(string defaultValue = "digits", string[]? extra = null) => new Option<string>("--dataset", "-d")
    {
        Description = "digits | iris | wine | breast-cancer | fashion-mnist | path to a .csv file" + (extra?.Contains(Training.TextData.DatasetName) == true ? " | text (a character-level language model of --file)" : ""),
        DefaultValueFactory = _ => defaultValue,
    }.Words([.. Training.DataSource.BuiltIn, .. extra ?? []], orFile: true);

    public static Option<string?> DataDir() => new("--data-dir") { Description = "folder with the Fashion-MNIST IDX files (default /usr/share/datasets/fashion-mnist)" };
    public static Option<string> LabelColumn() => new("--label-column") { Description = "label column of a CSV data set: a header name or an index (default: last)", DefaultValueFactory = _ => "-1" };
    public static Option<long> Seed() => new("--seed") { Description = "seed for the split, initial weights and shuffling", DefaultValueFactory = _ => 0 };
    public static Option<int?> Threads() => new Option<int?>("--threads") { Description = "compute threads (default: BACKPROP_NUM_THREADS, else the cores this process may use)" }.AtLeast(1, MaxThreads);

    /// <summary>
    /// <c>--device cpu|cuda|auto</c> (default cpu): <c>cuda</c> when CUDA cannot be used is a usage error (exit 2, one line
    /// saying why, e.g. no CUDA driver was found); <c>auto</c> is CUDA when it can be used, else the CPU.
    /// </summary>
    public static Option<string> Device() => new Option<string>("--device")
    {
        Description = "cpu | cuda | auto (auto: CUDA when available, else the CPU; CUDA is experimental)",
        DefaultValueFactory = _ => "cpu",
    }.Words(["cpu", "cuda", "auto"]).Also(r => r.GetValueOrDefault<string>() == "cuda" && (CudaProblem() ?? (CommandsRunOnCuda ? null : NotYet)) is string why ? $"--device cuda: {why}" : null);

    private const string NotYet = "CUDA was found, but the command line does not run on cuda:0 yet (some ops its models use have no CUDA " +
        "kernel yet; the library's Tensor.To(Device.Cuda(0)) works); use --device cpu.";

    /// <summary>
    /// The device <c>--device</c> names: the CPU, or CUDA device 0 for <c>cuda</c>. <c>auto</c> is the CPU while the
    /// commands do not run on CUDA (<see cref="CommandsRunOnCuda"/>), and CUDA device 0 when usable once they do.
    /// </summary>
    public static Device ResolveDevice(string value) =>
        value == "cuda" || (value == "auto" && CommandsRunOnCuda && CudaProblem() is null) ? Backprop.Device.Cuda(0) : Backprop.Device.Cpu;

    /// <summary>
    /// Whether train, eval, predict and bench move their model and batches to CUDA. False: the library holds tensors on
    /// CUDA (experimental), but the commands' models need primitives whose CUDA kernels are not written yet
    /// (docs/ARCHITECTURE.md, "The CUDA backend"), so <c>--device cuda</c> is refused with that reason and <c>auto</c> runs on the CPU.
    /// </summary>
    public const bool CommandsRunOnCuda = false;

    /// <summary>
    /// The device a command moves its model and data to: <see cref="ResolveDevice"/>'s, where <c>cuda</c> was already
    /// refused by the option's check when it cannot be used (no usable CUDA, or <see cref="CommandsRunOnCuda"/> false).
    /// </summary>
    public static Device UseDevice(string value)
    {
        var device = ResolveDevice(value);
        if (device != Backprop.Device.Cpu && !CommandsRunOnCuda) throw new NotSupportedException($"--device {value}: {NotYet}");
        return device;
    }

    /// <summary>Why tensors cannot go to CUDA device 0 here (no driver, no device), or null.</summary>
    private static string? CudaProblem()
    {
        if (!Cuda.IsAvailable) return Cuda.UnavailableReason;
        try
        {
            Tensor.Zeros([1]).To(Backprop.Device.Cuda(0));
            return null;
        }
        catch (NotSupportedException e) { return e.Message; }
    }

    /// <summary>The most compute threads an option accepts.</summary>
    public const int MaxThreads = 1024;
    public static Option<string?> Out() => new("--out", "-o") { Description = "output folder (default runs/<timestamp>/)" };

    public static int[] Ints(string text, string option) => text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(s => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v > 0 ? v
            : throw new ArgumentException($"{option}: '{s}' is not a positive integer (expected a comma-separated list such as 256,128)"))
        .ToArray();

    public static double[] Doubles(string text, string option) => text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(s => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v
            : throw new ArgumentException($"{option}: '{s}' is not a number"))
        .ToArray();

    public static string[] Words(string text) => text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public static string RunFolder(string? requested) =>
        requested ?? Path.Combine("runs", DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture));

    /// <summary>
    /// Sets the compute threads from <c>--threads</c> (default: <c>BACKPROP_NUM_THREADS</c>, else the available cores) and
    /// warns on standard error when the count is more than the cores this process may use, or the variable is unusable.
    /// </summary>
    public static void ApplyThreads(int? threads, TextWriter error)
    {
        string? envWarning = null;
        int n = threads ?? Threading.DefaultNumThreads(out envWarning);
        if (envWarning is not null) error.WriteLine($"warning: {envWarning}");
        Threading.SetNumThreads(n);
        if (n > Threading.AvailableCores)
            error.WriteLine($"warning: {n} threads asked for, but this process may use {Threading.AvailableCores} cores; " +
                (Threading.Dynamic ? $"kernels use at most {Threading.AvailableCores} threads (set {Threading.DynamicEnvironmentVariable}=0 to use all {n})."
                                   : "threads without a core of their own only wait."));
    }

    /// <summary>A number for a table: fixed-point, or scientific when it is very large (a diverged run) or tiny.</summary>
    public static string F(double v, int digits = 4) =>
        v != 0 && (Math.Abs(v) >= 1e5 || Math.Abs(v) < Math.Pow(10, -digits)) ? v.ToString("0.###E+0", CultureInfo.InvariantCulture) : v.ToString("F" + digits, CultureInfo.InvariantCulture);
}
