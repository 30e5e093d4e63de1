using System.Runtime.InteropServices;

namespace Backprop.Backends.Cuda;

/// <summary>The cuBLAS calls the backend makes (column-major, as cuBLAS is), behind an interface like the driver's.</summary>
internal interface ICublas : IDisposable
{
    /// <summary>Binds the handle's work to <paramref name="stream"/> (cublasSetStream).</summary>
    void SetStream(nint stream);

    /// <summary>TF32 tensor-core math for FP32 GEMMs (CUBLAS_TF32_TENSOR_OP_MATH) or exact FP32 (CUBLAS_DEFAULT_MATH); PyTorch's <c>allow_tf32</c>.</summary>
    void SetTf32(bool allow);

    /// <summary>
    /// C = α·op(A)·op(B) + β·C for <paramref name="batch"/> matrices their strides apart (cublas[S|D]gemmStridedBatched,
    /// or cublas[S|D]gemm for one), column-major; <paramref name="dtype"/> is Float32 or Float64.
    /// </summary>
    void Gemm(DType dtype, bool transA, bool transB, int m, int n, int k, double alpha, ulong a, int lda, long strideA,
        ulong b, int ldb, long strideB, double beta, ulong c, int ldc, long strideC, int batch);
}

/// <summary><see cref="ICublas"/> over libcublas.so.13 (or .12); one handle per device.</summary>
internal sealed unsafe partial class Cublas : ICublas
{
    private const string Lib = CudaLibraries.Cublas;

    [LibraryImport(Lib, EntryPoint = "cublasCreate_v2")] private static partial int cublasCreate(nint* handle);
    [LibraryImport(Lib, EntryPoint = "cublasDestroy_v2")] private static partial int cublasDestroy(nint handle);
    [LibraryImport(Lib, EntryPoint = "cublasSetStream_v2")] private static partial int cublasSetStream(nint handle, nint stream);
    [LibraryImport(Lib)] private static partial int cublasSetMathMode(nint handle, int mode);
    [LibraryImport(Lib, EntryPoint = "cublasSgemm_v2")]
    private static partial int cublasSgemm(nint h, int ta, int tb, int m, int n, int k, float* alpha, ulong a, int lda, ulong b, int ldb, float* beta, ulong c, int ldc);
    [LibraryImport(Lib, EntryPoint = "cublasDgemm_v2")]
    private static partial int cublasDgemm(nint h, int ta, int tb, int m, int n, int k, double* alpha, ulong a, int lda, ulong b, int ldb, double* beta, ulong c, int ldc);
    [LibraryImport(Lib)]
    private static partial int cublasSgemmStridedBatched(nint h, int ta, int tb, int m, int n, int k, float* alpha, ulong a, int lda, long sa,
        ulong b, int ldb, long sb, float* beta, ulong c, int ldc, long sc, int batch);
    [LibraryImport(Lib)]
    private static partial int cublasDgemmStridedBatched(nint h, int ta, int tb, int m, int n, int k, double* alpha, ulong a, int lda, long sa,
        ulong b, int ldb, long sb, double* beta, ulong c, int ldc, long sc, int batch);

    private nint handle;

    private Cublas(nint handle) => this.handle = handle;

    /// <summary>Loads libcublas and creates a handle in the current context.</summary>
    public static Cublas Open()
    {
        CudaLibraries.Load(CudaLibraries.Cublas);
        nint h;
        CudaErrors.CheckCublas(cublasCreate(&h), "cublasCreate");
        var blas = new Cublas(h);
        blas.SetTf32(false);
        return blas;
    }

    public void SetStream(nint stream) => CudaErrors.CheckCublas(cublasSetStream(handle, stream), "cublasSetStream");

    public void SetTf32(bool allow) =>
        CudaErrors.CheckCublas(cublasSetMathMode(handle, allow ? 3 /* CUBLAS_TF32_TENSOR_OP_MATH */ : 0 /* CUBLAS_DEFAULT_MATH */), "cublasSetMathMode");

    public void Gemm(DType dtype, bool transA, bool transB, int m, int n, int k, double alpha, ulong a, int lda, long strideA,
        ulong b, int ldb, long strideB, double beta, ulong c, int ldc, long strideC, int batch)
    {
        int ta = transA ? 1 : 0, tb = transB ? 1 : 0; // CUBLAS_OP_N / CUBLAS_OP_T
        int status;
        string op;
        if (dtype == DType.Float32)
        {
            float al = (float)alpha, be = (float)beta;
            (status, op) = batch == 1
                ? (cublasSgemm(handle, ta, tb, m, n, k, &al, a, lda, b, ldb, &be, c, ldc), "cublasSgemm")
                : (cublasSgemmStridedBatched(handle, ta, tb, m, n, k, &al, a, lda, strideA, b, ldb, strideB, &be, c, ldc, strideC, batch), "cublasSgemmStridedBatched");
        }
        else if (dtype == DType.Float64)
        {
            (status, op) = batch == 1
                ? (cublasDgemm(handle, ta, tb, m, n, k, &alpha, a, lda, b, ldb, &beta, c, ldc), "cublasDgemm")
                : (cublasDgemmStridedBatched(handle, ta, tb, m, n, k, &alpha, a, lda, strideA, b, ldb, strideB, &beta, c, ldc, strideC, batch), "cublasDgemmStridedBatched");
        }
        else throw new NotSupportedException($"GEMM on CUDA: dtype {dtype} is not supported; use Float32 or Float64.");
        CudaErrors.CheckCublas(status, $"{op}(m={m}, n={n}, k={k}, batch={batch})");
    }

    public void Dispose()
    {
        if (handle == 0) return;
        cublasDestroy(handle);
        handle = 0;
    }
}
