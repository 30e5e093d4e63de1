using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Backprop.Cli.Commands;

/// <summary>
/// The one validation layer of the command line: every option's range, finiteness and allowed words are checked by
/// System.CommandLine validators attached here, so any bad value is a parse error — exit 2 with one line naming the
/// option, the value and what is allowed — before a command does any work.
/// </summary>
internal static class Checks
{
    /// <summary>An integer option that must be at least <paramref name="min"/> (and at most <paramref name="max"/>).</summary>
    public static Option<int> AtLeast(this Option<int> option, int min, int max = int.MaxValue) =>
        Add(option, r => r.GetValueOrDefault<int>() is var v && (v < min || v > max)
            ? $"{option.Name}: {v} is out of range; use {Range(min, max)}" : null);

    /// <summary>An optional integer option that, when given, must be at least <paramref name="min"/> (and at most <paramref name="max"/>).</summary>
    public static Option<int?> AtLeast(this Option<int?> option, int min, int max = int.MaxValue) =>
        Add(option, r => r.GetValueOrDefault<int?>() is int v && (v < min || v > max)
            ? $"{option.Name}: {v} is out of range; use {Range(min, max)}" : null);

    /// <summary>A number option that must be finite and inside the given interval (open or closed at each end).</summary>
    public static Option<double> Within(this Option<double> option, double low, double high, bool lowOpen = false, bool highOpen = false) =>
        Add(option, r => NumberError(option.Name, r.GetValueOrDefault<double>(), low, high, lowOpen, highOpen));

    /// <summary>An optional number option that, when given, must be finite and inside the given interval.</summary>
    public static Option<double?> Within(this Option<double?> option, double low, double high, bool lowOpen = false, bool highOpen = false) =>
        Add(option, r => r.GetValueOrDefault<double?>() is double v ? NumberError(option.Name, v, low, high, lowOpen, highOpen) : null);

    /// <summary>A comma-separated list of positive integers (at least <paramref name="minCount"/> of them).</summary>
    public static Option<T> PositiveInts<T>(this Option<T> option, int minCount = 1, int max = 1_000_000) =>
        Add(option, r => r.GetValueOrDefault<string?>() is string s ? IntListError(option.Name, s, minCount, max) : null);

    /// <summary>A comma-separated list of finite numbers, exactly <paramref name="count"/> of them when given, each inside [low, high).</summary>
    public static Option<T> FiniteNumbers<T>(this Option<T> option, int count = -1, double low = double.MinValue, double high = double.MaxValue) =>
        Add(option, r =>
        {
            if (r.GetValueOrDefault<string?>() is not string s) return null;
            var parts = s.Split(',', StringSplitOptions.TrimEntries);
            if (parts.Length == 0 || parts.Any(p => p.Length == 0)) return $"{option.Name}: '{s}' has an empty item; give comma-separated numbers";
            if (count > 0 && parts.Length != count) return $"{option.Name}: '{s}' has {parts.Length} number(s); give {count}";
            foreach (var p in parts)
            {
                if (!double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v))
                    return $"{option.Name}: '{p}' is not a finite number";
                if (v < low || v >= high) return $"{option.Name}: {p} is out of range; each value must be in [{N(low)}, {N(high)})";
            }
            return null;
        });

    /// <summary>
    /// A comma-separated list whose items are each one of <paramref name="allowed"/>, or (with <paramref name="positiveInts"/>)
    /// a positive integer; with <paramref name="orFile"/>, a single value that is a path (an existing file or a .csv name).
    /// </summary>
    public static Option<T> Words<T>(this Option<T> option, IReadOnlyCollection<string> allowed, bool positiveInts = false, bool orFile = false) =>
        Add(option, r =>
        {
            if (r.GetValueOrDefault<string?>() is not string s) return null;
            if (orFile)
                return allowed.Contains(s) || s.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) || File.Exists(s) ? null
                    : $"{option.Name}: '{s}' is neither a built-in data set ({string.Join(", ", allowed)}) nor a file";
            var items = s.Split(',', StringSplitOptions.TrimEntries);
            foreach (var w in items)
                if (!allowed.Contains(w) && !(positiveInts && int.TryParse(w, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0))
                    return $"{option.Name}: '{w}' is not allowed; use {(positiveInts ? "a positive integer or " : "")}{string.Join(", ", allowed)}";
            return null;
        });

    /// <summary>Checks an option with <paramref name="error"/>, which returns null when the value is fine.</summary>
    /// <summary>Any other check of an explicitly given value: <paramref name="error"/> returns the one-line error, or null when valid.</summary>
    public static Option<T> Also<T>(this Option<T> option, Func<OptionResult, string?> error) => Add(option, error);

    private static Option<T> Add<T>(Option<T> option, Func<OptionResult, string?> error)
    {
        option.Validators.Add(r =>
        {
            if (r.Implicit) return; // defaults are ours and valid
            try
            {
                if (error(r) is string message) r.AddError(message);
            }
            catch (InvalidOperationException) { } // the value did not parse: System.CommandLine reports that itself
        });
        return option;
    }

    private static string? NumberError(string name, double v, double low, double high, bool lowOpen, bool highOpen)
    {
        if (!double.IsFinite(v)) return $"{name}: {N(v)} is not a finite number";
        bool below = lowOpen ? v <= low : v < low, above = highOpen ? v >= high : v > high;
        if (!below && !above) return null;
        string range = $"{(lowOpen ? "(" : "[")}{N(low)}, {N(high)}{(highOpen ? ")" : "]")}";
        return double.IsPositiveInfinity(high) ? $"{name}: {N(v)} is out of range; use a number {(lowOpen ? "above" : "of at least")} {N(low)}"
            : $"{name}: {N(v)} is out of range; use a number in {range}";
    }

    private static string? IntListError(string name, string s, int minCount, int max)
    {
        var parts = s.Split(',', StringSplitOptions.TrimEntries);
        if (s.Trim().Length == 0 || parts.Any(p => p.Length == 0))
            return $"{name}: '{s}' has an empty item; give comma-separated positive integers such as 256,128";
        if (parts.Length < minCount) return $"{name}: '{s}' has {parts.Length} size(s); give at least {minCount}, e.g. 2,3,1";
        foreach (var p in parts)
            if (!int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var v) || v < 1 || v > max)
                return $"{name}: '{p}' is not a positive integer up to {max:N0} (expected a comma-separated list such as 256,128)";
        return null;
    }

    private static string Range(int min, int max) => max == int.MaxValue ? $"an integer of at least {min}" : $"an integer from {min} to {max}";

    private static string N(double v) => v.ToString("G", CultureInfo.InvariantCulture);
}
