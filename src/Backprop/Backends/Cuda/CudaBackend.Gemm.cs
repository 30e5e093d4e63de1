namespace Backprop.Backends.Cuda;

internal sealed partial class CudaBackend
{
    /// <summary>
    /// C (+)= A·B through cuBLAS. Row-major C = A·B is column-major Cᵀ = Bᵀ·Aᵀ, and each strided operand is handed over
    /// as it lies: a matrix whose columns are adjacent (column stride 1) is already the column-major transpose cuBLAS wants
    /// (op N, leading dimension = its row stride); one whose rows are adjacent (a transposed view, row stride 1) is the
    /// column-major matrix itself (op T, leading dimension = its column stride). Only an operand with neither (a
    /// broadcast or doubly strided view) is first copied into a contiguous scratch block.
    /// </summary>
    public void Gemm(DType dtype, in Strided2D a, in Strided2D b, in Strided2D c, int m, int k, int n, bool accumulate)
    {
        RequireFloating(dtype, "Gemm");
        if (m == 0 || n == 0) return;
        Cuda.MakeCurrent();
        if (k == 0)
        {
            if (!accumulate) WithScratch(dtype, c, m, n, copyIn: false, (_, _) => { }); // the scratch is zero-filled
            return;
        }
        Storage? scratchA = null, scratchB = null;
        try
        {
            var (aPtr, transA, lda) = Operand(dtype, a, m, k, ref scratchA);
            var (bPtr, transB, ldb) = Operand(dtype, b, k, n, ref scratchB);
            if (Describe(m, n, c.RowStride, c.ColStride, out bool transC, out int ldc) && !transC)
                Blas(dtype, transB, transA, n, m, k, bPtr, ldb, aPtr, lda, accumulate, Pointer(c.Storage, c.Offset, dtype), ldc);
            else
                WithScratch(dtype, c, m, n, copyIn: accumulate, (ptr, ld) => Blas(dtype, transB, transA, n, m, k, bPtr, ldb, aPtr, lda, accumulate, ptr, ld));
        }
        finally
        {
            scratchA?.Release();
            scratchB?.Release();
        }
    }

    /// <summary>The cuBLAS call (column-major; <paramref name="m"/>, <paramref name="n"/> are cuBLAS's).</summary>
    private void Blas(DType dtype, bool transA, bool transB, int m, int n, int k, ulong a, int lda, ulong b, int ldb, bool accumulate, ulong c, int ldc) =>
        Cuda.Blas.Gemm(dtype, transA, transB, m, n, k, 1, a, lda, 0, b, ldb, 0, accumulate ? 1 : 0, c, ldc, 0, 1);

    /// <summary>
    /// How the row-major <paramref name="rows"/>×<paramref name="cols"/> matrix with strides (<paramref name="rs"/>,
    /// <paramref name="cs"/>) reads as cuBLAS's column-major transpose: op N with leading dimension rs when its columns are
    /// adjacent, op T with leading dimension cs when its rows are; false when neither (cuBLAS needs ld ≥ the stored rows).
    /// A stride along a dimension of size 1 is free, as cuBLAS never steps along it.
    /// </summary>
    internal static bool Describe(int rows, int cols, int rs, int cs, out bool trans, out int ld)
    {
        if (cs == 1 || cols <= 1)
        {
            ld = rows <= 1 ? Math.Max(1, cols) : rs;
            if (ld >= Math.Max(1, cols)) { trans = false; return true; }
        }
        if (rs == 1 || rows <= 1)
        {
            ld = cols <= 1 ? Math.Max(1, rows) : cs;
            if (ld >= Math.Max(1, rows)) { trans = true; return true; }
        }
        trans = false;
        ld = 0;
        return false;
    }

    /// <summary>An operand's address, op and leading dimension, copied into a contiguous <paramref name="scratch"/> first when its strides do not fit cuBLAS.</summary>
    private (ulong Pointer, bool Trans, int Ld) Operand(DType dtype, in Strided2D x, int rows, int cols, ref Storage? scratch)
    {
        if (Describe(rows, cols, x.RowStride, x.ColStride, out bool trans, out int ld)) return (Pointer(x.Storage, x.Offset, dtype), trans, ld);
        scratch = allocator.Allocate(dtype, rows * cols, uninitialized: true, pooled: false);
        CopyStrided(View(x, dtype, rows, cols), Contiguous(scratch, dtype, rows, cols));
        return (Pointer(scratch, 0, dtype), false, cols);
    }

    /// <summary>Runs <paramref name="body"/> on a contiguous zero-filled (or, with <paramref name="copyIn"/>, C-filled) scratch for C, then copies it into C.</summary>
    private void WithScratch(DType dtype, in Strided2D c, int m, int n, bool copyIn, Action<ulong, int> body)
    {
        var scratch = allocator.Allocate(dtype, m * n, uninitialized: false, pooled: false);
        try
        {
            var view = View(c, dtype, m, n);
            var dense = Contiguous(scratch, dtype, m, n);
            if (copyIn) CopyStrided(view, dense);
            body(Pointer(scratch, 0, dtype), n);
            CopyStrided(dense, view);
        }
        finally { scratch.Release(); }
    }

    private static TensorView View(in Strided2D x, DType dtype, int rows, int cols) =>
        new(x.Storage, [rows, cols], [x.RowStride, x.ColStride], x.Offset, dtype);

    private static TensorView Contiguous(Storage s, DType dtype, int rows, int cols) => new(s, [rows, cols], [cols, 1], 0, dtype);
}
