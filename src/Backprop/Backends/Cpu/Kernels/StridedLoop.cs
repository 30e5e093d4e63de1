namespace Backprop.Kernels;

/// <summary>
/// Walks the rows (all dimensions but the last) of an n-d iteration space over up to three strided operands,
/// giving the starting offset of each operand for every row. The innermost loop is left to the caller.
/// </summary>
internal ref struct StridedLoop
{
    private readonly ReadOnlySpan<int> shape;
    private readonly int[] sa, sb, sc;
    private readonly int[] index;
    private int rowsLeft;
    public int OffsetA, OffsetB, OffsetC;

    public StridedLoop(ReadOnlySpan<int> shape, int[] stridesA, int offsetA, int[]? stridesB = null, int offsetB = 0, int[]? stridesC = null, int offsetC = 0)
    {
        this.shape = shape;
        sa = stridesA; sb = stridesB ?? new int[shape.Length]; sc = stridesC ?? new int[shape.Length];
        index = new int[Math.Max(shape.Length - 1, 0)];
        int rows = 1;
        for (int i = 0; i < shape.Length - 1; i++) rows *= shape[i];
        rowsLeft = shape.Length == 0 || ShapeUtil.Numel(shape) == 0 ? (shape.Length == 0 ? 1 : 0) : rows;
        OffsetA = offsetA; OffsetB = offsetB; OffsetC = offsetC;
        first = true;
    }

    private bool first;

    /// <summary>Length of the innermost dimension (1 for a scalar).</summary>
    public readonly int RowLength => shape.Length == 0 ? 1 : shape[^1];
    public readonly int InnerStrideA => shape.Length == 0 ? 0 : sa[^1];
    public readonly int InnerStrideB => shape.Length == 0 ? 0 : sb[^1];
    public readonly int InnerStrideC => shape.Length == 0 ? 0 : sc[^1];

    /// <summary>Advances to the next row; false when done.</summary>
    public bool MoveNext()
    {
        if (rowsLeft == 0) return false;
        if (first) { first = false; rowsLeft--; return true; }
        rowsLeft--;
        for (int d = index.Length - 1; d >= 0; d--)
        {
            index[d]++;
            OffsetA += sa[d]; OffsetB += sb[d]; OffsetC += sc[d];
            if (index[d] < shape[d]) break;
            OffsetA -= sa[d] * shape[d]; OffsetB -= sb[d] * shape[d]; OffsetC -= sc[d] * shape[d];
            index[d] = 0;
        }
        return true;
    }
}
