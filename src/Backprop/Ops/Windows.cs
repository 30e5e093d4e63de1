using Backprop.Backends;

namespace Backprop;

/// <summary>
/// Sliding-window ops over [N, C, H, W] images: unfold (im2col) and fold (col2im). Each is the other's backward, so
/// convolutions and pooling composed from them have gradients of every order.
/// </summary>
public partial class Tensor
{
    /// <summary>
    /// [N, C, H, W] → [N, C·kh·kw, OutH·OutW]: every window as a column (<c>F.unfold</c>, node <c>Im2ColBackward</c>).
    /// Positions outside the image read <paramref name="padValue"/> (0 for convolutions, −∞ for max pooling).
    /// </summary>
    internal static Tensor UnfoldWindows(Tensor input, WindowGeometry g, double padValue = 0)
    {
        CheckWindowInput(input, g, "Unfold");
        int n = input.shape[0];
        var x = input.Dense();
        var y = Uninitialized([n, g.Rows, g.Positions], input.DType, input); // every entry is written
        Backend.Of(x).Im2Col(x.Layout, g, padValue, y.Layout);
        return Node.Record(y, "Im2ColBackward", [input], grad => [FoldWindows(grad, g)]);
    }

    /// <summary>
    /// [N, C·kh·kw, OutH·OutW] → [N, C, H, W]: adds every column back into its window (<c>F.fold</c>, node
    /// <c>Col2ImBackward</c>); overlapping windows sum, padding is dropped.
    /// </summary>
    internal static Tensor FoldWindows(Tensor columns, WindowGeometry g)
    {
        if (columns.Rank != 3 || columns.shape[1] != g.Rows || columns.shape[2] != g.Positions)
            throw new ArgumentException($"Fold: expected input of shape [N, {g.Rows}, {g.Positions}] (C·kh·kw = {g.Channels}·{g.KernelH}·{g.KernelW} rows, " +
                $"{g.OutH}·{g.OutW} windows), got {columns.ShapeString}.");
        if (!columns.DType.IsFloatingPoint()) throw NotFloat("Fold", columns.DType);
        int n = columns.shape[0];
        var c = columns.Dense();
        var y = Empty([n, g.Channels, g.Height, g.Width], columns.DType, columns); // zero-filled: the kernel accumulates
        Backend.Of(c).Col2Im(c.Layout, g, y.Layout);
        return Node.Record(y, "Col2ImBackward", [columns], grad => [UnfoldWindows(grad, g)]);
    }

    private static void CheckWindowInput(Tensor input, WindowGeometry g, string op)
    {
        if (input.Rank != 4)
            throw new ArgumentException($"{op}: expected a 4-D input [N, C, H, W], got shape {input.ShapeString}.");
        if (input.shape[1] != g.Channels || input.shape[2] != g.Height || input.shape[3] != g.Width)
            throw new ArgumentException($"{op}: input of shape {input.ShapeString} does not match the window geometry [N, {g.Channels}, {g.Height}, {g.Width}].");
        if (!input.DType.IsFloatingPoint()) throw NotFloat(op, input.DType);
    }
}
