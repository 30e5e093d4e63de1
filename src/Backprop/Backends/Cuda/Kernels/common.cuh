// Backprop CUDA kernels: shared definitions, prepended to every generated and hand-written module.
// Compiled by NVRTC at run time (-arch=sm_XX, straight to CUBIN); no CUDA headers are included.
// Every kernel must be correct for ANY grid and block size (1 to 1024 threads, any number of blocks): work is spread
// by grid-stride loops (BP_FOR), block reductions loop over whatever blockDim.x is, and nothing assumes a power of two
// or a warp. The tests run these same sources on a host emulator (g++ behind tests/.../Emulator/cuda_emu.h) with odd
// block sizes, so no CUDA-only construct may appear outside this header: no warp intrinsics, no dynamic shared memory.
#define BP_MAX_DIMS 8

// A strided operand as the kernels see it: the output's (coalesced) shape and this operand's strides in elements.
struct Dims { int ndim; long long size[BP_MAX_DIMS]; };
struct Strides { long long stride[BP_MAX_DIMS]; };

// The element offset of row-major linear index i through strides s (LaunchGeometry.Offset on the host).
__device__ __forceinline__ long long strided_offset(long long i, const Dims& d, const Strides& s) {
    long long offset = 0;
    for (int k = d.ndim - 1; k >= 0; --k) {
        long long n = d.size[k];
        offset += (i % n) * s.stride[k];
        i /= n;
    }
    return offset;
}

// The grid-stride loop over a 64-bit index (CuPy's CUPY_FOR): any grid covers any n, including n > 2^31.
#define BP_FOR(i, n) \
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (long long)blockDim.x * gridDim.x)

template <typename T> __device__ __forceinline__ T bp_sign(T x) { return x != x ? x : (x > T(0) ? T(1) : (x < T(0) ? T(-1) : T(0))); }
template <typename T> __device__ __forceinline__ T bp_max(T x, T y) { return (x != x || y != y) ? x + y : (x > y ? x : y); }
template <typename T> __device__ __forceinline__ T bp_min(T x, T y) { return (x != x || y != y) ? x + y : (x < y ? x : y); }
template <typename T> __device__ __forceinline__ T bp_clamp(T x, T lo, T hi) { return x != x ? x : (x < lo ? lo : (x > hi ? hi : x)); }
template <typename T> __device__ __forceinline__ T bp_infinity() { return T(__longlong_as_double(0x7ff0000000000000LL)); }
// True for ±infinity only (NaN and finite values give false); no header's isinf is needed.
template <typename T> __device__ __forceinline__ bool bp_isinf(T x) { return x == x && x - x != x - x; }
typedef long long bp_i64;
// Int64 division and power as the CPU's (truncating; long.MinValue / -1 wraps; a zero divisor gives 0 — the CPU throws).
__device__ __forceinline__ bp_i64 bp_idiv(bp_i64 u, bp_i64 v) {
    return v == 0 ? 0 : v == -1 ? (bp_i64)(0ULL - (unsigned long long)u) : u / v;
}
__device__ __forceinline__ bp_i64 bp_ipow(bp_i64 b, bp_i64 e) {
    if (e < 0) return b == 1 ? 1 : b == -1 ? (e % 2 == 0 ? 1 : -1) : 0;
    unsigned long long r = 1, ub = (unsigned long long)b;
    for (; e > 0; e >>= 1, ub *= ub) if (e & 1) r *= ub;
    return (bp_i64)r;
}

// The geometry of a sliding window over one [C, H, W] image (WindowGeometry / KernelWindow on the host).
struct Window { int c, h, w, kh, kw, sh, sw, pt, pl, dh, dw, oh, ow; };
