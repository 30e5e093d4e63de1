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
