using Backprop.Backends.Cuda;

namespace Backprop.Tests.Backends.Cuda;

public class CudaErrorsTests
{
    [Theory]
    [InlineData(700, "CUDA_ERROR_ILLEGAL_ADDRESS")]
    [InlineData(2, "CUDA_ERROR_OUT_OF_MEMORY")]
    [InlineData(222, "CUDA_ERROR_UNSUPPORTED_PTX_VERSION")]
    [InlineData(100, "CUDA_ERROR_NO_DEVICE")]
    public void DriverFailure_NamesTheErrorAndTheOperation(int code, string name)
    {
        var e = Assert.Throws<CudaException>(() => CudaErrors.Check(code, "cuMemcpyDtoHAsync(64 bytes) in Tensor.ToArray"));
        Assert.Equal(name, e.ErrorName);
        Assert.Equal(code, e.Code);
        Assert.Equal($"cuMemcpyDtoHAsync(64 bytes) in Tensor.ToArray: CUDA driver error {name} ({code})", e.Message);
    }

    [Fact]
    public void UnknownCode_StillSaysWhichLibraryAndCode()
    {
        var e = Assert.Throws<CudaException>(() => CudaErrors.Check(12345, "cuInit"));
        Assert.Equal("cuInit: CUDA driver error CUresult 12345 (12345)", e.Message);
    }

    [Fact]
    public void NvrtcAndCublasFailures_AreNamed()
    {
        Assert.Equal("NVRTC_ERROR_INVALID_OPTION", Assert.Throws<CudaException>(() => CudaErrors.CheckNvrtc(5, "nvrtcCompileProgram")).ErrorName);
        var blas = Assert.Throws<CudaException>(() => CudaErrors.CheckCublas(15, "cublasSgemm"));
        Assert.Equal("cuBLAS", blas.Library);
        Assert.Contains("CUBLAS_STATUS_NOT_SUPPORTED", blas.Message);
    }

    [Fact]
    public void Success_DoesNotThrow()
    {
        CudaErrors.Check(0, "x");
        CudaErrors.CheckNvrtc(0, "x");
        CudaErrors.CheckCublas(0, "x");
        Assert.Equal("1.50 GiB", CudaErrors.Bytes(3L << 29));
    }
}
