namespace Backprop;

/// <summary>Shape arithmetic: element counts, strides, broadcasting and dimension checks.</summary>
internal static class ShapeUtil
{
    public static int Numel(ReadOnlySpan<int> shape)
    {
        if (shape.Contains(0)) return 0;
        long n = 1;
        foreach (var d in shape)
        {
            n *= d; // |n| <= Array.MaxLength < 2^31 before, |d| < 2^31: no long overflow
            if (n > Array.MaxLength || n < -Array.MaxLength) throw new ArgumentException($"A tensor of shape {Format(shape)} has more elements than a .NET array can hold.");
        }
        return (int)n;
    }

    public static int[] ContiguousStrides(ReadOnlySpan<int> shape)
    {
        var strides = new int[shape.Length];
        int s = 1;
        for (int i = shape.Length - 1; i >= 0; i--) { strides[i] = s; s *= Math.Max(shape[i], 1); }
        return strides;
    }

    public static string Format(ReadOnlySpan<int> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";

    public static int[] Validate(ReadOnlySpan<int> shape, string op)
    {
        foreach (var d in shape)
            if (d < 0) throw new ArgumentException($"{op}: shape {Format(shape)} has a negative dimension.");
        return shape.ToArray();
    }

    /// <summary>NumPy/PyTorch broadcasting of two shapes; throws naming both shapes and the op.</summary>
    public static int[] Broadcast(ReadOnlySpan<int> a, ReadOnlySpan<int> b, string op)
    {
        int n = Math.Max(a.Length, b.Length);
        var result = new int[n];
        for (int i = 0; i < n; i++)
        {
            int da = i < n - a.Length ? 1 : a[i - (n - a.Length)];
            int db = i < n - b.Length ? 1 : b[i - (n - b.Length)];
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException(
                    $"{op}: shapes {Format(a)} and {Format(b)} cannot be broadcast together: dimension {i} is {da} vs {db} " +
                    "(sizes must match or one of them must be 1).");
            result[i] = da == 1 ? db : da;
        }
        return result;
    }

    /// <summary>Strides that read a tensor of <paramref name="shape"/> as if expanded to <paramref name="outShape"/> (0 on broadcast dims).</summary>
    public static int[] BroadcastStrides(ReadOnlySpan<int> shape, ReadOnlySpan<int> strides, ReadOnlySpan<int> outShape)
    {
        var result = new int[outShape.Length];
        int lead = outShape.Length - shape.Length;
        for (int i = 0; i < shape.Length; i++)
            result[lead + i] = shape[i] == 1 && outShape[lead + i] != 1 ? 0 : strides[i];
        return result;
    }

    public static int NormalizeDim(int dim, int rank, string op)
    {
        int r = Math.Max(rank, 1);
        if (dim < -r || dim >= r)
            throw new ArgumentOutOfRangeException(nameof(dim), $"{op}: dimension {dim} is out of range for a tensor with {rank} dimension(s) (expected -{r} to {r - 1}).");
        return dim < 0 ? dim + r : dim;
    }

    public static bool SameShape(ReadOnlySpan<int> a, ReadOnlySpan<int> b) => a.SequenceEqual(b);

    /// <summary>Splits a contiguous shape around <paramref name="dim"/> into (outer, size, inner) for dim-wise kernels.</summary>
    public static (int Outer, int Size, int Inner) AroundDim(ReadOnlySpan<int> shape, int dim)
    {
        int outer = 1, inner = 1;
        for (int i = 0; i < dim; i++) outer *= shape[i];
        for (int i = dim + 1; i < shape.Length; i++) inner *= shape[i];
        return (outer, shape.Length == 0 ? 1 : shape[dim], inner);
    }

    /// <summary>Resolves one -1 entry of a requested shape against an element count.</summary>
    public static int[] InferShape(ReadOnlySpan<int> requested, int numel, ReadOnlySpan<int> from, string op)
    {
        var shape = requested.ToArray();
        int infer = -1; long known = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] == -1)
            {
                if (infer >= 0) throw new ArgumentException($"{op}: only one dimension can be -1, got {Format(requested)}.");
                infer = i;
            }
            else if (shape[i] < 0) throw new ArgumentException($"{op}: invalid shape {Format(requested)}.");
            else known *= shape[i];
        }
        if (infer >= 0)
        {
            if (known == 0 || numel % known != 0)
                throw new ArgumentException($"{op}: shape {Format(requested)} is invalid for a tensor of shape {Format(from)} ({numel} elements).");
            shape[infer] = (int)(numel / known);
        }
        else if (known != numel)
            throw new ArgumentException($"{op}: shape {Format(requested)} is invalid for a tensor of shape {Format(from)} ({numel} elements).");
        return shape;
    }
}
