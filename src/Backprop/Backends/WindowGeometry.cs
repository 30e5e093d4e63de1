namespace Backprop.Backends;

/// <summary>
/// The geometry of a sliding window over one [C, H, W] image: kernel, stride, dilation, the padding before the first
/// row/column, and the output size (which fixes the padding after the last row/column, so asymmetric "same" padding and
/// ceil-mode windows need nothing else).
/// </summary>
internal readonly record struct WindowGeometry(int Channels, int Height, int Width, int KernelH, int KernelW,
    int StrideH, int StrideW, int PadTop, int PadLeft, int DilationH, int DilationW, int OutH, int OutW)
{
    /// <summary>Rows of the column matrix: C·kh·kw.</summary>
    public int Rows => Channels * KernelH * KernelW;

    /// <summary>Columns of the column matrix: one per output position, OutH·OutW.</summary>
    public int Positions => OutH * OutW;

    /// <summary>Elements of one image: C·H·W.</summary>
    public int ImageSize => Channels * Height * Width;
}
