namespace Backprop.Backends.Cuda;

/// <summary>
/// A CUDA call that failed (PyTorch's <c>torch.cuda.CudaError</c> / <c>RuntimeError: CUDA error: …</c>): names the library,
/// the error (<c>CUDA_ERROR_ILLEGAL_ADDRESS</c>, <c>NVRTC_ERROR_COMPILATION</c>, <c>CUBLAS_STATUS_NOT_SUPPORTED</c>) and
/// the operation, so no failure is silent.
/// </summary>
public class CudaException : Exception
{
    internal CudaException(string library, int code, string errorName, string operation, string? detail = null)
        : base($"{operation}: {library} error {errorName} ({code}){(detail is null ? "" : ": " + detail)}")
    {
        Library = library;
        Code = code;
        ErrorName = errorName;
        Operation = operation;
    }

    /// <summary>The library that reported the error: <c>CUDA driver</c>, <c>NVRTC</c> or <c>cuBLAS</c>.</summary>
    public string Library { get; }

    /// <summary>The numeric result (<c>CUresult</c>, <c>nvrtcResult</c> or <c>cublasStatus_t</c>).</summary>
    public int Code { get; }

    /// <summary>The error's name as the CUDA headers spell it, e.g. <c>CUDA_ERROR_OUT_OF_MEMORY</c>.</summary>
    public string ErrorName { get; }

    /// <summary>The Backprop operation (and CUDA call) that failed.</summary>
    public string Operation { get; }
}

/// <summary>
/// The device ran out of memory (PyTorch's <c>torch.cuda.OutOfMemoryError</c>): says how many bytes were asked for, how
/// many the device has free and in total, and how many this process holds, after the caching allocator already gave
/// its cached blocks back and retried.
/// </summary>
public sealed class CudaOutOfMemoryException : CudaException
{
    internal CudaOutOfMemoryException(string operation, long requested, long free, long total, long allocated)
        : base("CUDA driver", CudaErrors.OutOfMemory, "CUDA_ERROR_OUT_OF_MEMORY", operation,
            $"tried to allocate {CudaErrors.Bytes(requested)}; the device has {CudaErrors.Bytes(free)} free of {CudaErrors.Bytes(total)}, " +
            $"and {CudaErrors.Bytes(allocated)} is held by tensors of this process (cached blocks were already released). " +
            "Use a smaller batch, free tensors (TensorScope), or call Cuda.EmptyCache().")
    {
        Requested = requested;
        Free = free;
    }

    /// <summary>The bytes the failed allocation asked for (after rounding).</summary>
    public long Requested { get; }

    /// <summary>The device's free bytes when the allocation failed.</summary>
    public long Free { get; }
}

/// <summary>The names of CUDA driver, NVRTC and cuBLAS results, and the checks that turn a failure into a <see cref="CudaException"/>.</summary>
internal static class CudaErrors
{
    public const int OutOfMemory = 2;

    /// <summary>CUresult names (cuda.h), for the codes a training run can meet; the real driver's cuGetErrorName is asked first.</summary>
    private static readonly Dictionary<int, string> DriverNames = new()
    {
        [0] = "CUDA_SUCCESS", [1] = "CUDA_ERROR_INVALID_VALUE", [2] = "CUDA_ERROR_OUT_OF_MEMORY",
        [3] = "CUDA_ERROR_NOT_INITIALIZED", [4] = "CUDA_ERROR_DEINITIALIZED", [34] = "CUDA_ERROR_STUB_LIBRARY",
        [100] = "CUDA_ERROR_NO_DEVICE", [101] = "CUDA_ERROR_INVALID_DEVICE", [200] = "CUDA_ERROR_INVALID_IMAGE",
        [201] = "CUDA_ERROR_INVALID_CONTEXT", [209] = "CUDA_ERROR_NO_BINARY_FOR_GPU", [218] = "CUDA_ERROR_INVALID_PTX",
        [222] = "CUDA_ERROR_UNSUPPORTED_PTX_VERSION", [400] = "CUDA_ERROR_INVALID_HANDLE", [500] = "CUDA_ERROR_NOT_FOUND",
        [600] = "CUDA_ERROR_NOT_READY", [700] = "CUDA_ERROR_ILLEGAL_ADDRESS", [701] = "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES",
        [702] = "CUDA_ERROR_LAUNCH_TIMEOUT", [715] = "CUDA_ERROR_ILLEGAL_INSTRUCTION", [716] = "CUDA_ERROR_MISALIGNED_ADDRESS",
        [719] = "CUDA_ERROR_LAUNCH_FAILED", [801] = "CUDA_ERROR_NOT_SUPPORTED", [999] = "CUDA_ERROR_UNKNOWN",
    };

    /// <summary>nvrtcResult names (nvrtc.h).</summary>
    private static readonly string[] NvrtcNames =
    [
        "NVRTC_SUCCESS", "NVRTC_ERROR_OUT_OF_MEMORY", "NVRTC_ERROR_PROGRAM_CREATION_FAILURE", "NVRTC_ERROR_INVALID_INPUT",
        "NVRTC_ERROR_INVALID_PROGRAM", "NVRTC_ERROR_INVALID_OPTION", "NVRTC_ERROR_COMPILATION", "NVRTC_ERROR_BUILTIN_OPERATION_FAILURE",
        "NVRTC_ERROR_NO_NAME_EXPRESSIONS_AFTER_COMPILATION", "NVRTC_ERROR_NO_LOWERED_NAMES_BEFORE_COMPILATION",
        "NVRTC_ERROR_NAME_EXPRESSION_NOT_VALID", "NVRTC_ERROR_INTERNAL_ERROR", "NVRTC_ERROR_TIME_FILE_WRITE_FAILED",
    ];

    /// <summary>cublasStatus_t names (cublas_api.h).</summary>
    private static readonly Dictionary<int, string> CublasNames = new()
    {
        [0] = "CUBLAS_STATUS_SUCCESS", [1] = "CUBLAS_STATUS_NOT_INITIALIZED", [3] = "CUBLAS_STATUS_ALLOC_FAILED",
        [7] = "CUBLAS_STATUS_INVALID_VALUE", [8] = "CUBLAS_STATUS_ARCH_MISMATCH", [11] = "CUBLAS_STATUS_MAPPING_ERROR",
        [13] = "CUBLAS_STATUS_EXECUTION_FAILED", [14] = "CUBLAS_STATUS_INTERNAL_ERROR", [15] = "CUBLAS_STATUS_NOT_SUPPORTED",
        [16] = "CUBLAS_STATUS_LICENSE_ERROR",
    };

    public static string DriverName(int code) => DriverNames.TryGetValue(code, out var n) ? n : $"CUresult {code}";

    public static string NvrtcName(int code) => code >= 0 && code < NvrtcNames.Length ? NvrtcNames[code] : $"nvrtcResult {code}";

    public static string CublasName(int code) => CublasNames.TryGetValue(code, out var n) ? n : $"cublasStatus {code}";

    /// <summary>Throws a <see cref="CudaException"/> naming the driver error and <paramref name="operation"/> unless <paramref name="result"/> is CUDA_SUCCESS.</summary>
    public static void Check(int result, string operation, Func<int, string>? name = null)
    {
        if (result != 0) throw new CudaException("CUDA driver", result, (name ?? DriverName)(result), operation);
    }

    /// <summary>Throws naming the NVRTC error unless <paramref name="result"/> is NVRTC_SUCCESS.</summary>
    public static void CheckNvrtc(int result, string operation, string? log = null)
    {
        if (result != 0) throw new CudaException("NVRTC", result, NvrtcName(result), operation, log);
    }

    /// <summary>Throws naming the cuBLAS status unless <paramref name="status"/> is CUBLAS_STATUS_SUCCESS.</summary>
    public static void CheckCublas(int status, string operation)
    {
        if (status != 0) throw new CudaException("cuBLAS", status, CublasName(status), operation);
    }

    /// <summary>A byte count for people: "1.50 GiB", "512 B".</summary>
    public static string Bytes(long bytes) => bytes switch
    {
        >= 1L << 30 => FormattableString.Invariant($"{bytes / (double)(1L << 30):F2} GiB"),
        >= 1L << 20 => FormattableString.Invariant($"{bytes / (double)(1L << 20):F2} MiB"),
        >= 1L << 10 => FormattableString.Invariant($"{bytes / 1024.0:F2} KiB"),
        _ => FormattableString.Invariant($"{bytes} B"),
    };
}
