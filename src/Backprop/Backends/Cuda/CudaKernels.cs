namespace Backprop.Backends.Cuda;

/// <summary>
/// The host side of the kernels in copy.cu, total.cu, reduce.cu (max/min, divide), scan.cu and norm.cu: each method
/// packs one primitive's arguments for its kernel over device addresses and launches it on the device's stream (the
/// window and index kernels are in <c>CudaKernels.Indexing.cs</c>). The CUDA backend calls these with its views'
/// addresses; the GPU check's parity groups and the emulator tests call them directly, so both test this code.
/// </summary>
internal static partial class CudaKernels
{
    private static string S(DType t) => ElementwiseKernels.Suffix(t);

    private static void Run(CudaDevice d, string module, string kernel, long n, KernelArgs args)
    {
        using (args) d.Launch(module, kernel, n, args);
    }

    /// <summary>out = mask ≠ 0 ? a : b over the output's coalesced shape, each operand through its strides.</summary>
    public static void Where(CudaDevice d, DType t, long n, ulong mask, KernelStrides sm, ulong a, KernelStrides sa, ulong b, KernelStrides sb,
        ulong output, KernelDims dims) =>
        Run(d, "copy", "where_" + S(t), n, new KernelArgs().Add(n).Add(mask).Add(sm).Add(a).Add(sa).Add(b).Add(sb).Add(output).Add(dims));

    /// <summary>Converts <paramref name="n"/> contiguous elements of <paramref name="from"/> to <paramref name="to"/> (distinct dtypes).</summary>
    public static void Convert(CudaDevice d, DType from, DType to, ulong x, ulong y, long n) =>
        Run(d, "copy", $"convert_{S(from)}_{S(to)}", n, new KernelArgs().Add(n).Add(x).Add(y));

    /// <summary>Each row of the contiguous [n / m, m] <paramref name="matrix"/> becomes <paramref name="row"/> ([m]).</summary>
    public static void FillRows(CudaDevice d, DType t, ulong row, long m, ulong matrix, long n) =>
        Run(d, "copy", "fill_rows_" + S(t), m == 0 ? 0 : n, new KernelArgs().Add(n).Add(row).Add(m).Add(matrix));

    /// <summary>
    /// output[0] = the sum of <paramref name="n"/> contiguous elements, deterministically: one partial per block of the
    /// elementwise grid, then one block over the partials (total.cu).
    /// </summary>
    public static void SumAll(CudaDevice d, DType t, ulong x, long n, ulong output)
    {
        var shape = LaunchGeometry.Elementwise(Math.Max(n, 1), d.Multiprocessors, d.BlockSize);
        var partial = d.Allocator.Allocate((long)shape.Grid * t.ElementSize(), d.Stream, "SumAll");
        try
        {
            using (var first = new KernelArgs().Add(n).Add(x).Add(partial.Pointer)) d.Launch("total", "sum_all_" + S(t), shape, first);
            using var second = new KernelArgs().Add((long)shape.Grid).Add(partial.Pointer).Add(output);
            d.Launch("total", "sum_all_" + S(t), shape with { Grid = 1 }, second);
        }
        finally { d.Allocator.Release(partial); }
    }

    /// <summary>The maximum (or minimum) along the middle of [outer, size, inner] and its first index; a NaN wins.</summary>
    public static void MaxMin(CudaDevice d, DType t, ulong x, int outer, int size, int inner, ulong values, ulong indices, bool max) =>
        Run(d, "reduce", "max_min_" + S(t), (long)outer * inner,
            new KernelArgs().Add((long)outer).Add((long)size).Add((long)inner).Add(x).Add(values).Add(indices).Add(max ? 1 : 0));

    /// <summary>x /= divisor over <paramref name="n"/> contiguous floating elements.</summary>
    public static void DivideInPlace(CudaDevice d, DType t, ulong x, long n, int divisor) =>
        Run(d, "reduce", "divide_inplace_" + S(t), n, new KernelArgs().Add(n).Add(x).Add((long)divisor));

    /// <summary>The running sum along the middle of [outer, size, inner].</summary>
    public static void CumSum(CudaDevice d, DType t, ulong x, int outer, int size, int inner, ulong y) =>
        Run(d, "scan", "cumsum_" + S(t), (long)outer * inner, new KernelArgs().Add((long)outer).Add((long)size).Add((long)inner).Add(x).Add(y));

    /// <summary>The product along the middle of [outer, size, inner] into [outer, inner].</summary>
    public static void Prod(CudaDevice d, DType t, ulong x, int outer, int size, int inner, ulong y) =>
        Run(d, "scan", "prod_" + S(t), (long)outer * inner, new KernelArgs().Add((long)outer).Add((long)size).Add((long)inner).Add(x).Add(y));

    /// <summary>A stable sort along the middle of [outer, size, inner]: values and the original positions.</summary>
    public static void Sort(CudaDevice d, DType t, ulong x, int outer, int size, int inner, ulong values, ulong indices, bool descending)
    {
        long n = (long)outer * size * inner;
        Run(d, "scan", "sort_" + S(t), n, new KernelArgs().Add(n).Add((long)size).Add((long)inner).Add(x).Add(values).Add(indices).Add(descending ? 1 : 0));
    }

    /// <summary>Layer normalisation of [rows, n]; <paramref name="w"/>/<paramref name="b"/> 0 when absent.</summary>
    public static void LayerNormForward(CudaDevice d, DType t, ulong x, ulong w, ulong b, double eps, int rows, int n, ulong y, ulong mean, ulong rstd) =>
        Run(d, "norm", "layernorm_forward_" + S(t), rows,
            new KernelArgs().Add((long)rows).Add((long)n).Add(x).Add(w).Add(b).Add(eps).Add(y).Add(mean).Add(rstd));

    /// <summary>Layer normalisation's backward: dx, and dw/db when their addresses are not 0 (overwritten).</summary>
    public static void LayerNormBackward(CudaDevice d, DType t, ulong dy, ulong x, ulong mean, ulong rstd, ulong w, int rows, int n,
        ulong dx, ulong dw, ulong db)
    {
        Run(d, "norm", "layernorm_backward_input_" + S(t), rows,
            new KernelArgs().Add((long)rows).Add((long)n).Add(dy).Add(x).Add(mean).Add(rstd).Add(w).Add(dx));
        if (dw != 0 || db != 0)
            Run(d, "norm", "layernorm_backward_params_" + S(t), n,
                new KernelArgs().Add((long)rows).Add((long)n).Add(dy).Add(x).Add(mean).Add(rstd).Add(dw).Add(db));
    }

    /// <summary>d = g·GELU′(x) (exact, or the tanh approximation).</summary>
    public static void GeluBackward(CudaDevice d, DType t, bool tanh, ulong g, ulong x, ulong result, long n) =>
        Run(d, "norm", "gelu_backward_" + S(t), n, new KernelArgs().Add(n).Add(g).Add(x).Add(result).Add(tanh ? 1 : 0));

    /// <summary>The LSTM step's pointwise half over [batch, hidden] (gates [batch, 4·hidden] activated in place).</summary>
    public static void LstmCellForward(CudaDevice d, DType t, int batch, int hidden, ulong gates, ulong cPrev, ulong h, ulong c, ulong tanhC) =>
        Run(d, "recurrent", "lstm_forward_" + S(t), (long)batch * hidden,
            new KernelArgs().Add((long)batch).Add((long)hidden).Add(gates).Add(cPrev).Add(h).Add(c).Add(tanhC));

    /// <summary>The LSTM step's backward: pre-activation gate gradients, and cPrev's gradient added into <paramref name="dcPrev"/>.</summary>
    public static void LstmCellBackward(CudaDevice d, DType t, int batch, int hidden, ulong gates, ulong tanhC, ulong cPrev, ulong dh, ulong dc,
        ulong dcPrev, ulong dGates) =>
        Run(d, "recurrent", "lstm_backward_" + S(t), (long)batch * hidden,
            new KernelArgs().Add((long)batch).Add((long)hidden).Add(gates).Add(tanhC).Add(cPrev).Add(dh).Add(dc).Add(dcPrev).Add(dGates));

    /// <summary>The GRU step's pointwise part: activated gates [batch, 3·hidden] and h.</summary>
    public static void GruCellForward(CudaDevice d, DType t, int batch, int hidden, ulong x, ulong hp, ulong hPrev, ulong h, ulong gates) =>
        Run(d, "recurrent", "gru_forward_" + S(t), (long)batch * hidden,
            new KernelArgs().Add((long)batch).Add((long)hidden).Add(x).Add(hp).Add(hPrev).Add(h).Add(gates));

    /// <summary>The GRU step's backward: the projections' gradients, and dh·z added into <paramref name="dhPrev"/>.</summary>
    public static void GruCellBackward(CudaDevice d, DType t, int batch, int hidden, ulong gates, ulong hp, ulong hPrev, ulong dh, ulong dhPrev,
        ulong dX, ulong dHp) =>
        Run(d, "recurrent", "gru_backward_" + S(t), (long)batch * hidden,
            new KernelArgs().Add((long)batch).Add((long)hidden).Add(gates).Add(hp).Add(hPrev).Add(dh).Add(dhPrev).Add(dX).Add(dHp));
}
