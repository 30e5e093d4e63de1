using ScottPlot;

namespace Backprop.Cli.Output;

/// <summary>The PNG charts the commands write, drawn with ScottPlot: labelled axes, a legend, a title.</summary>
internal static class Charts
{
    private const int Width = 900, Height = 520;

    /// <summary>Training and validation loss (left axis) and validation accuracy (right axis) against the epoch.</summary>
    public static void Curves(string path, IReadOnlyList<Training.EpochResult> epochs, string title)
    {
        var plot = new Plot();
        double[] x = epochs.Select(e => (double)e.Epoch).ToArray();
        var train = plot.Add.Scatter(x, epochs.Select(e => e.TrainLoss).ToArray());
        train.LegendText = "train loss";
        var val = plot.Add.Scatter(x, epochs.Select(e => e.ValLoss).ToArray());
        val.LegendText = "validation loss";
        var acc = plot.Add.Scatter(x, epochs.Select(e => e.ValAccuracy).ToArray());
        acc.LegendText = "validation accuracy (right axis)";
        acc.Axes.YAxis = plot.Axes.Right;
        acc.LinePattern = LinePattern.Dashed;
        plot.Axes.Right.Label.Text = "accuracy";
        plot.Axes.Right.Min = 0; plot.Axes.Right.Max = 1.02;
        plot.XLabel("epoch");
        plot.YLabel("cross-entropy loss");
        plot.Title(title);
        plot.ShowLegend(Alignment.MiddleRight);
        Backprop.IO.AtomicFile.Write(path, f => f.Write(plot.GetImageBytes(Width, Height, ScottPlot.ImageFormat.Png)));
    }

    /// <summary>Several named series against the same x axis (compare's loss curves).</summary>
    public static void Lines(string path, IReadOnlyList<(string Name, double[] Y)> series, string xLabel, string yLabel, string title, bool logY = false)
    {
        var plot = new Plot();
        foreach (var (name, y) in series)
        {
            double[] xs = Enumerable.Range(1, y.Length).Select(i => (double)i).ToArray();
            var line = plot.Add.Scatter(xs, logY ? y.Select(v => Math.Log10(Math.Max(v, 1e-300))).ToArray() : y);
            line.LegendText = name;
        }
        plot.XLabel(xLabel);
        plot.YLabel(logY ? $"log10 {yLabel}" : yLabel);
        plot.Title(title);
        plot.ShowLegend(logY ? Alignment.LowerRight : Alignment.UpperRight);
        Backprop.IO.AtomicFile.Write(path, f => f.Write(plot.GetImageBytes(Width, Height, ScottPlot.ImageFormat.Png)));
    }

    /// <summary>A confusion matrix as a heat map, true class down, predicted class across, with counts.</summary>
    public static void Confusion(string path, long[,] counts, IReadOnlyList<string> classes)
    {
        int n = classes.Count;
        var plot = new Plot();
        var data = new double[n, n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) data[i, j] = counts[i, j];
        var heat = plot.Add.Heatmap(data);
        heat.Colormap = new ScottPlot.Colormaps.Viridis();
        plot.Add.ColorBar(heat);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                var text = plot.Add.Text(counts[i, j].ToString(System.Globalization.CultureInfo.InvariantCulture), j, n - 1 - i);
                text.LabelFontColor = Colors.White;
                text.LabelAlignment = Alignment.MiddleCenter;
            }
        var ticks = Enumerable.Range(0, n).Select(i => new Tick(i, classes[i])).ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks);
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(Enumerable.Range(0, n).Select(i => new Tick(n - 1 - i, classes[i])).ToArray());
        plot.XLabel("predicted class");
        plot.YLabel("true class");
        plot.Title("Confusion matrix");
        Backprop.IO.AtomicFile.Write(path, f => f.Write(plot.GetImageBytes(Width, Height + 100, ScottPlot.ImageFormat.Png)));
    }

    /// <summary>Optimizer paths over a 2-D function drawn as a heat map of log(1 + f − min).</summary>
    public static void Trajectories(string path, Func<double, double, double> f, (double X0, double X1, double Y0, double Y1) box,
        IReadOnlyList<(string Name, double[] X, double[] Y)> paths, string title)
    {
        const int grid = 120;
        var z = new double[grid, grid];
        double min = double.PositiveInfinity;
        for (int i = 0; i < grid; i++)
            for (int j = 0; j < grid; j++)
            {
                double x = box.X0 + (box.X1 - box.X0) * j / (grid - 1), y = box.Y1 - (box.Y1 - box.Y0) * i / (grid - 1);
                z[i, j] = f(x, y);
                min = Math.Min(min, z[i, j]);
            }
        for (int i = 0; i < grid; i++) for (int j = 0; j < grid; j++) z[i, j] = Math.Log10(1 + z[i, j] - min);
        var plot = new Plot();
        var heat = plot.Add.Heatmap(z);
        heat.Extent = new CoordinateRect(box.X0, box.X1, box.Y0, box.Y1);
        heat.Colormap = new ScottPlot.Colormaps.Grayscale();
        foreach (var (name, xs, ys) in paths)
        {
            var line = plot.Add.Scatter(xs, ys);
            line.LegendText = name;
            line.MarkerSize = 4;
        }
        plot.Axes.SetLimits(box.X0, box.X1, box.Y0, box.Y1);
        plot.XLabel("x");
        plot.YLabel("y");
        plot.Title(title);
        plot.ShowLegend(Alignment.UpperRight);
        Backprop.IO.AtomicFile.Write(path, f => f.Write(plot.GetImageBytes(Width, Height, ScottPlot.ImageFormat.Png)));
    }

    /// <summary>A 1-D function with the points each optimizer visited.</summary>
    public static void Function1D(string path, Func<double, double> f, (double X0, double X1) range, IReadOnlyList<(string Name, double[] X)> paths, string title)
    {
        var plot = new Plot();
        var xs = Enumerable.Range(0, 300).Select(i => range.X0 + (range.X1 - range.X0) * i / 299).ToArray();
        var curve = plot.Add.Scatter(xs, xs.Select(f).ToArray());
        curve.LegendText = "f(x)";
        curve.MarkerSize = 0;
        foreach (var (name, px) in paths)
        {
            var pts = plot.Add.Scatter(px, px.Select(f).ToArray());
            pts.LegendText = name;
            pts.MarkerSize = 5;
        }
        plot.XLabel("x");
        plot.YLabel("f(x)");
        plot.Title(title);
        plot.ShowLegend(Alignment.UpperRight);
        Backprop.IO.AtomicFile.Write(path, f => f.Write(plot.GetImageBytes(Width, Height, ScottPlot.ImageFormat.Png)));
    }
}
