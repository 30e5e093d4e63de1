namespace Backprop.NN;

/// <summary>How <see cref="Functional.Pad"/> fills the new border (PyTorch's <c>mode=</c>).</summary>
public enum PadMode
{
    /// <summary>A constant value (<c>'constant'</c>); negative pads crop.</summary>
    Constant,
    /// <summary>The mirror image without repeating the edge: [1 2 3] padded by 2 gives [3 2 1 2 3 2 1] (<c>'reflect'</c>).</summary>
    Reflect,
    /// <summary>The edge value repeated (<c>'replicate'</c>).</summary>
    Replicate,
}

public static partial class Functional
{
    /// <summary>
    /// Pads the last dimensions (<c>F.pad</c>). <paramref name="pad"/> lists (before, after) pairs starting from the last
    /// dimension: [left, right] pads the last dim, [left, right, top, bottom] the last two, and so on. Constant padding
    /// accepts negative amounts (cropping); reflect needs each pad smaller than its dimension. Gradients flow back to the
    /// input positions that were read (summed where reflect or replicate read one element several times).
    /// </summary>
    public static Tensor Pad(Tensor input, int[] pad, PadMode mode = PadMode.Constant, double value = 0)
    {
        if (pad.Length % 2 != 0) throw new ArgumentException($"Pad: the pad list must have an even length (before, after per dim), got {pad.Length} values.");
        if (pad.Length / 2 > input.Rank)
            throw new ArgumentException($"Pad: {pad.Length / 2} padded dims for an input of shape {input.ShapeString} with {input.Rank} dims.");
        var y = input;
        for (int i = 0; i < pad.Length / 2; i++)
        {
            int d = input.Rank - 1 - i, before = pad[2 * i], after = pad[2 * i + 1];
            if (before == 0 && after == 0) continue;
            y = mode == PadMode.Constant ? PadConstant(y, d, before, after, value) : PadByIndex(y, d, before, after, mode);
        }
        return ReferenceEquals(y, input) ? input.Clone() : y;
    }

    private static Tensor PadConstant(Tensor x, int d, int before, int after, double value)
    {
        int n = x.Shape[d];
        if (before + after + n < 0 || -before > n || -after > n)
            throw new ArgumentException($"Pad: padding ({before}, {after}) of dim {d} would give a negative size for the input of shape {x.ShapeString}.");
        if (before < 0 || after < 0) x = x.Narrow(d, Math.Max(0, -before), n - Math.Max(0, -before) - Math.Max(0, -after));
        var parts = new List<Tensor>();
        int[] Border(int count) { var s = x.Shape.ToArray(); s[d] = count; return s; }
        if (before > 0) parts.Add(Tensor.Full(Border(before), value, x.DType, x));
        parts.Add(x);
        if (after > 0) parts.Add(Tensor.Full(Border(after), value, x.DType, x));
        return parts.Count == 1 ? x : Tensor.Cat(parts, d);
    }

    private static Tensor PadByIndex(Tensor x, int d, int before, int after, PadMode mode)
    {
        int n = x.Shape[d];
        if (before < 0 || after < 0) throw new ArgumentException($"Pad: {mode} padding must be non-negative, got ({before}, {after}) for dim {d}.");
        if (mode == PadMode.Reflect && (before >= n || after >= n))
            throw new ArgumentException($"Pad: reflect padding ({before}, {after}) must be smaller than dim {d} of size {n} (input shape {x.ShapeString}).");
        if (n == 0) throw new ArgumentException($"Pad: cannot {mode}-pad the empty dim {d} of the input of shape {x.ShapeString}.");
        var index = new long[before + n + after];
        for (int j = 0; j < index.Length; j++)
        {
            int src = j - before;
            index[j] = mode == PadMode.Replicate ? Math.Clamp(src, 0, n - 1) : src < 0 ? -src : src >= n ? 2 * (n - 1) - src : src;
        }
        return x.IndexSelect(d, Tensor.FromArray(index).To(x.Storage.Allocator));
    }
}
