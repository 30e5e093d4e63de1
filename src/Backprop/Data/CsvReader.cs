using System.Globalization;

namespace Backprop.Data;

/// <summary>
/// Reads a numeric CSV file with one label column into a <see cref="LabeledDataset"/>. The header is detected (a first
/// line with a non-number) or forced; the label column is chosen by name or index (negative counts from the end).
/// Numeric labels are class indices; text labels become classes in sorted order. Ragged rows, non-numbers and features
/// that are not finite in Float32 (NaN, ±∞, beyond ±3.4e38) throw <see cref="InvalidDataException"/> naming the file, line and column.
/// </summary>
public static class CsvReader
{
    /// <summary>Reads <paramref name="path"/>; <paramref name="labelColumn"/> is a header name or an index such as "-1" (default: last column).</summary>
    public static LabeledDataset Read(string path, string labelColumn = "-1", bool? hasHeader = null, char separator = ',')
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"CSV file not found: {path}", path);
        var lines = File.ReadAllLines(path);
        return Parse(lines, path, labelColumn, hasHeader, separator);
    }

    /// <summary>Parses CSV lines; <paramref name="name"/> is used in error messages.</summary>
    public static LabeledDataset Parse(IReadOnlyList<string> lines, string name, string labelColumn = "-1", bool? hasHeader = null, char separator = ',')
    {
        var rows = new List<(int Line, string[] Fields)>();
        for (int i = 0; i < lines.Count; i++)
            if (!string.IsNullOrWhiteSpace(lines[i])) rows.Add((i + 1, lines[i].Split(separator).Select(f => f.Trim().Trim('"')).ToArray()));
        if (rows.Count == 0) throw new InvalidDataException($"{name}: the file has no rows.");
        int columns = rows[0].Fields.Length;
        bool header = hasHeader ?? rows[0].Fields.Any(f => !IsNumber(f));
        string[] names = header ? rows[0].Fields : Enumerable.Range(0, columns).Select(i => $"column {i}").ToArray();
        var data = header ? rows.Skip(1).ToList() : rows;
        if (data.Count == 0) throw new InvalidDataException($"{name}: the file has a header but no data rows.");
        int label = ResolveColumn(labelColumn, names, header, name);
        if (columns < 2) throw new InvalidDataException($"{name}: need at least one feature column besides the label, found {columns} column(s).");

        var features = new float[data.Count, columns - 1];
        var rawLabels = new string[data.Count];
        for (int r = 0; r < data.Count; r++)
        {
            var (line, fields) = data[r];
            if (fields.Length != columns)
                throw new InvalidDataException($"{name}, line {line}: expected {columns} fields like the first row, found {fields.Length} (ragged row).");
            int f = 0;
            for (int c = 0; c < columns; c++)
            {
                if (c == label) { rawLabels[r] = fields[c]; continue; }
                if (!double.TryParse(fields[c], NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
                    throw new InvalidDataException($"{name}, line {line}, column '{names[c]}': \"{fields[c]}\" is not a number.");
                if (!float.IsFinite((float)v))
                    throw new InvalidDataException($"{name}, line {line}, column '{names[c]}': \"{fields[c]}\" is not a finite Float32 number (NaN, infinity or beyond ±3.4e38); fix or remove the row.");
                features[r, f++] = (float)v;
            }
        }
        var (labels, classNames) = EncodeLabels(rawLabels, name);
        return new LabeledDataset(Tensor.FromArray(features), Tensor.FromArray(labels), classNames,
            names.Where((_, i) => i != label).ToArray(), Path.GetFileNameWithoutExtension(name));
    }

    private static (long[] Labels, string[] ClassNames) EncodeLabels(string[] raw, string name)
    {
        if (raw.All(s => long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v >= 0))
        {
            var labels = raw.Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToArray();
            long max = labels.Max();
            if (max > 100_000) throw new InvalidDataException($"{name}: label {max} is too large for a class index; is the label column right?");
            return (labels, Enumerable.Range(0, (int)max + 1).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray());
        }
        var classes = raw.Distinct().Order(StringComparer.Ordinal).ToArray();
        var index = classes.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => (long)p.i);
        return (raw.Select(s => index[s]).ToArray(), classes);
    }

    private static int ResolveColumn(string labelColumn, string[] names, bool header, string name)
    {
        if (int.TryParse(labelColumn, NumberStyles.Integer, CultureInfo.InvariantCulture, out int i))
        {
            int c = i < 0 ? names.Length + i : i;
            if (c < 0 || c >= names.Length) throw new ArgumentException($"{name}: label column {labelColumn} is out of range for {names.Length} columns.");
            return c;
        }
        int byName = Array.IndexOf(names, labelColumn);
        if (!header || byName < 0)
            throw new ArgumentException($"{name}: no column named '{labelColumn}'{(header ? "; the header has: " + string.Join(", ", names) : " (the file has no header; give an index)")}.");
        return byName;
    }

    private static bool IsNumber(string s) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
}
