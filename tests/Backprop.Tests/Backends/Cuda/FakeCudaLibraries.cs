using System.Text;
using Backprop.Backends.Cuda;

namespace Backprop.Tests.Backends.Cuda;

/// <summary>An NVRTC stand-in that "compiles" a module to its own source bytes and records what it was asked.</summary>
internal sealed class CountingNvrtc : INvrtc
{
    public List<(string Name, IReadOnlyList<string> Options)> Compiled { get; } = [];
    public (int Major, int Minor) Version => (13, 0);

    public (byte[] Cubin, string Log) Compile(string source, string name, IReadOnlyList<string> options)
    {
        Compiled.Add((name, options));
        return (Encoding.UTF8.GetBytes(source), "");
    }
}

/// <summary>A cuBLAS stand-in that records every GEMM call's arguments (transA, transB, m, n, k, a, lda, b, ldb, beta, c, ldc, batch).</summary>
internal sealed class RecordingBlas : ICublas
{
    public List<object[]> Calls { get; } = [];
    public nint Stream;
    public void SetStream(nint stream) => Stream = stream;
    public void SetTf32(bool allow) { }
    public void Gemm(DType dtype, bool transA, bool transB, int m, int n, int k, double alpha, ulong a, int lda, long strideA,
        ulong b, int ldb, long strideB, double beta, ulong c, int ldc, long strideC, int batch) =>
        Calls.Add([transA, transB, m, n, k, a, lda, b, ldb, beta, c, ldc, batch]);
    public void Dispose() { }
}
