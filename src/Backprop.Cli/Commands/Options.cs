using System.CommandLine;
using System.Globalization;

namespace Backprop.Cli.Commands;

/// <summary>Options several commands share, and parsing of their list values.</summary>
internal static class Options
{
    public static Option<string> Dataset(string defaultValue = "digits") => new("--dataset", "-d")
    {
        Description = "digits | iris | wine | breast-cancer | fashion-mnist | path to a .csv file",
        DefaultValueFactory = _ => defaultValue,
    };

    public static Option<string?> DataDir() => new("--data-dir") { Description = "folder with the Fashion-MNIST IDX files (default /usr/share/datasets/fashion-mnist)" };
    public static Option<string> LabelColumn() => new("--label-column") { Description = "label column of a CSV data set: a header name or an index (default: last)", DefaultValueFactory = _ => "-1" };
    public static Option<long> Seed() => new("--seed") { Description = "seed for the split, initial weights and shuffling", DefaultValueFactory = _ => 0 };
    public static Option<int?> Threads() => new("--threads") { Description = "compute threads (default: all cores)" };
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

    public static void ApplyThreads(int? threads)
    {
        if (threads is int t) Threading.SetNumThreads(t);
    }

    /// <summary>A number for a table: fixed-point, or scientific when it is very large (a diverged run) or tiny.</summary>
    public static string F(double v, int digits = 4) =>
        v != 0 && (Math.Abs(v) >= 1e5 || Math.Abs(v) < Math.Pow(10, -digits)) ? v.ToString("0.###E+0", CultureInfo.InvariantCulture) : v.ToString("F" + digits, CultureInfo.InvariantCulture);
}
