using System.Globalization;
using System.Text;

namespace Backprop;

public partial class Tensor
{
    private const int LineWidth = 80, EdgeItems = 3, SummarizeThreshold = 1000;

    /// <summary>
    /// PyTorch's printed form, e.g. <c>tensor([[4.5000, 4.5000], ...], grad_fn=&lt;MeanBackward&gt;)</c>: four decimals,
    /// integer-valued floats as <c>27.</c>, scientific notation for wide ranges, and <c>...</c> past 1000 elements.
    /// </summary>
    public override string ToString()
    {
        var sb = new StringBuilder("tensor(");
        bool summarize = Numel > SummarizeThreshold;
        if (Numel == 0) sb.Append("[]");
        else
        {
            var format = ChooseFormat(summarize);
            Append(sb, Detach(), format, indent: 7, summarize);
        }
        if (Numel == 0 && Rank != 1) sb.Append(", size=(").Append(string.Join(", ", shape)).Append(")");
        if (DType == DType.Float64) sb.Append(", dtype=torch.float64");
        if (GradFn is not null) sb.Append(", grad_fn=<").Append(GradFn.Name).Append('>');
        else if (RequiresGrad) sb.Append(", requires_grad=True");
        return sb.Append(')').ToString();
    }

    private Func<double, string> ChooseFormat(bool summarize)
    {
        var values = SampledValues(Detach(), summarize);
        Func<double, string> f;
        if (DType == DType.Int64) f = v => ((long)v).ToString(CultureInfo.InvariantCulture);
        else
        {
            var finite = values.Where(v => double.IsFinite(v) && v != 0).Select(Math.Abs).ToArray();
            bool intMode = finite.All(v => v == Math.Ceiling(v));
            double max = finite.Length > 0 ? finite.Max() : 0, min = finite.Length > 0 ? finite.Min() : 0;
            bool sci = finite.Length > 0 && (max / min > 1000 || max > 1e8 || (!intMode && min < 1e-4));
            f = sci ? v => Special(v) ?? v.ToString("0.0000e+00", CultureInfo.InvariantCulture)
                : intMode ? v => Special(v) ?? v.ToString("0", CultureInfo.InvariantCulture) + "."
                : v => Special(v) ?? v.ToString("0.0000", CultureInfo.InvariantCulture);
        }
        int width = values.Length == 0 ? 0 : values.Max(v => f(v).Length);
        return v => f(v).PadLeft(width);
    }

    private static string? Special(double v) =>
        double.IsNaN(v) ? "nan" : double.IsPositiveInfinity(v) ? "inf" : double.IsNegativeInfinity(v) ? "-inf" : null;

    private static double[] SampledValues(Tensor t, bool summarize)
    {
        if (!summarize || t.Rank == 0) return t.ToArray<double>();
        var parts = new List<double>();
        int n = t.shape[0];
        if (n > 2 * EdgeItems)
        {
            for (int i = 0; i < EdgeItems; i++) parts.AddRange(SampledValues(t.Select(0, i), summarize));
            for (int i = n - EdgeItems; i < n; i++) parts.AddRange(SampledValues(t.Select(0, i), summarize));
        }
        else for (int i = 0; i < n; i++) parts.AddRange(SampledValues(t.Select(0, i), summarize));
        return [.. parts];
    }

    private static void Append(StringBuilder sb, Tensor t, Func<double, string> format, int indent, bool summarize)
    {
        if (t.Rank == 0) { sb.Append(format(t.Item())); return; }
        int n = t.shape[0];
        var items = new List<int?>();
        if (summarize && n > 2 * EdgeItems)
        {
            for (int i = 0; i < EdgeItems; i++) items.Add(i);
            items.Add(null);
            for (int i = n - EdgeItems; i < n; i++) items.Add(i);
        }
        else for (int i = 0; i < n; i++) items.Add(i);

        sb.Append('[');
        if (t.Rank == 1)
        {
            var cells = items.Select(i => i is int k ? format(t.ReadAt<double>(t.Offset + k * t.strides[0])) : " ...").ToList();
            int perLine = Math.Max(1, (LineWidth - indent) / (format(0).Length + 2));
            for (int c = 0; c < cells.Count; c++)
            {
                if (c > 0) sb.Append(c % perLine == 0 ? ",\n" + new string(' ', indent + 1) : ", ");
                sb.Append(cells[c]);
            }
        }
        else
        {
            string sep = "," + new string('\n', t.Rank - 1) + new string(' ', indent + 1);
            for (int c = 0; c < items.Count; c++)
            {
                if (c > 0) sb.Append(sep);
                if (items[c] is int k) Append(sb, t.Select(0, k), format, indent + 1, summarize);
                else sb.Append("...");
            }
        }
        sb.Append(']');
    }
}
