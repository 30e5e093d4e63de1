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

    /// <summary>
    /// True for 2×2 windows at stride 2 without padding or dilation that tile whole rows (the usual pooling): each input
    /// element is in at most one window, so a max-pool's backward can recompute the winners instead of saving indices.
    /// </summary>
    public bool Tiles2x2 => this is { KernelH: 2, KernelW: 2, StrideH: 2, StrideW: 2, PadTop: 0, PadLeft: 0, DilationH: 1, DilationW: 1 }
        && Width == 2 * OutW && 2 * OutH <= Height && OutW > 0;
}
