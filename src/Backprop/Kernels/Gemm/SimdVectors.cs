using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Backprop.Kernels.Gemm;

/// <summary>
/// The few vector operations the GEMM micro-kernel needs, as static members of a struct type, so one generic kernel
/// is compiled into a separate, fully inlined body per vector width and element type.
/// </summary>
internal unsafe interface IVec<TSelf, T> where TSelf : struct, IVec<TSelf, T> where T : unmanaged
{
    static abstract int Count { get; }
    static abstract TSelf Zero { get; }
    static abstract TSelf Load(T* p);
    static abstract TSelf Broadcast(T value);
    /// <summary>a·b + c, fused.</summary>
    static abstract TSelf MultiplyAdd(TSelf a, TSelf b, TSelf c);
    static abstract TSelf Add(TSelf a, TSelf b);
    static abstract void Store(T* p, TSelf v);
}

internal readonly unsafe struct V512F(Vector512<float> v) : IVec<V512F, float>
{
    private readonly Vector512<float> v = v;
    public static int Count => 16;
    public static V512F Zero => default;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512F Load(float* p) => new(Avx512F.LoadVector512(p));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512F Broadcast(float x) => new(Vector512.Create(x));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512F MultiplyAdd(V512F a, V512F b, V512F c) => new(Avx512F.FusedMultiplyAdd(a.v, b.v, c.v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512F Add(V512F a, V512F b) => new(a.v + b.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, V512F x) => Avx512F.Store(p, x.v);
}

internal readonly unsafe struct V512D(Vector512<double> v) : IVec<V512D, double>
{
    private readonly Vector512<double> v = v;
    public static int Count => 8;
    public static V512D Zero => default;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512D Load(double* p) => new(Avx512F.LoadVector512(p));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512D Broadcast(double x) => new(Vector512.Create(x));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512D MultiplyAdd(V512D a, V512D b, V512D c) => new(Avx512F.FusedMultiplyAdd(a.v, b.v, c.v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512D Add(V512D a, V512D b) => new(a.v + b.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(double* p, V512D x) => Avx512F.Store(p, x.v);
}

internal readonly unsafe struct V256F(Vector256<float> v) : IVec<V256F, float>
{
    private readonly Vector256<float> v = v;
    public static int Count => 8;
    public static V256F Zero => default;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256F Load(float* p) => new(Avx.LoadVector256(p));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256F Broadcast(float x) => new(Vector256.Create(x));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256F MultiplyAdd(V256F a, V256F b, V256F c) => new(Fma.MultiplyAdd(a.v, b.v, c.v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256F Add(V256F a, V256F b) => new(a.v + b.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, V256F x) => Avx.Store(p, x.v);
}

internal readonly unsafe struct V256D(Vector256<double> v) : IVec<V256D, double>
{
    private readonly Vector256<double> v = v;
    public static int Count => 4;
    public static V256D Zero => default;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256D Load(double* p) => new(Avx.LoadVector256(p));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256D Broadcast(double x) => new(Vector256.Create(x));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256D MultiplyAdd(V256D a, V256D b, V256D c) => new(Fma.MultiplyAdd(a.v, b.v, c.v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256D Add(V256D a, V256D b) => new(a.v + b.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(double* p, V256D x) => Avx.Store(p, x.v);
}
