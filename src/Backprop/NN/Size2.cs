namespace Backprop.NN;

/// <summary>
/// A (height, width) pair for kernel sizes, strides and dilations; an <see cref="int"/> means the same value for both,
/// as in PyTorch (<c>kernel_size=3</c> or <c>kernel_size=(3, 5)</c>).
/// </summary>
public readonly record struct Size2(int H, int W)
{
    /// <summary>The same value for height and width.</summary>
    public static implicit operator Size2(int both) => new(both, both);

    /// <summary>(height, width).</summary>
    public static implicit operator Size2((int H, int W) pair) => new(pair.H, pair.W);

    /// <inheritdoc/>
    public override string ToString() => H == W ? $"{H}" : $"({H}, {W})";

    internal string Pair => $"({H}, {W})";
}

/// <summary>
/// Convolution padding: a number per side of each dimension (<see cref="int"/> or (height, width)), or PyTorch's
/// <c>"valid"</c> (none) and <c>"same"</c> (the output keeps the input's size; stride 1 only, the odd extra row or
/// column goes after, as in PyTorch).
/// </summary>
public readonly record struct Padding2
{
    private Padding2(int h, int w, bool same) { H = h; W = w; IsSame = same; }

    /// <summary>Rows added above and below.</summary>
    public int H { get; }

    /// <summary>Columns added left and right.</summary>
    public int W { get; }

    /// <summary>True for <c>"same"</c>.</summary>
    public bool IsSame { get; }

    /// <summary>The same padding on every side.</summary>
    public static implicit operator Padding2(int both) => new(both, both, false);

    /// <summary>(rows, columns) of padding.</summary>
    public static implicit operator Padding2((int H, int W) pair) => new(pair.H, pair.W, false);

    /// <summary>(rows, columns) of padding.</summary>
    public static implicit operator Padding2(Size2 pair) => new(pair.H, pair.W, false);

    /// <summary><c>"valid"</c> or <c>"same"</c>.</summary>
    public static implicit operator Padding2(string mode) => mode switch
    {
        "valid" => new(0, 0, false),
        "same" => new(0, 0, true),
        _ => throw new ArgumentException($"padding: '{mode}' is not a padding mode; use \"valid\", \"same\" or a number."),
    };

    /// <inheritdoc/>
    public override string ToString() => IsSame ? "same" : H == W ? $"{H}" : $"({H}, {W})";
}

/// <summary>Padding of a 1-D convolution: a number of elements on each side, or <c>"valid"</c> / <c>"same"</c>.</summary>
public readonly record struct Padding1
{
    private Padding1(int value, bool same) { Value = value; IsSame = same; }

    /// <summary>Elements added at each end.</summary>
    public int Value { get; }

    /// <summary>True for <c>"same"</c>.</summary>
    public bool IsSame { get; }

    /// <summary>The same padding at both ends.</summary>
    public static implicit operator Padding1(int value) => new(value, false);

    /// <summary><c>"valid"</c> or <c>"same"</c>.</summary>
    public static implicit operator Padding1(string mode) => mode switch
    {
        "valid" => new(0, false),
        "same" => new(0, true),
        _ => throw new ArgumentException($"padding: '{mode}' is not a padding mode; use \"valid\", \"same\" or a number."),
    };

    /// <inheritdoc/>
    public override string ToString() => IsSame ? "same" : $"{Value}";
}
