// Where, dtype conversion and FillRows (the CPU's Where, CopyKernels.Convert and FillRows).
// Where: mask, a and b are read through strides over the output's (coalesced) shape; the output is contiguous.
// Convert: float → Int64 truncates toward zero and saturates, NaN giving 0 (.NET's CreateTruncating); the rest round
// to nearest as C++ conversions do.

#define BP_WHERE(T, S)                                                                                                   \
extern "C" __global__ void where_##S(long long n, const T* mask, Strides sm, const T* a, Strides sa, const T* b,        \
        Strides sb, T* out, Dims d) {                                                                                    \
    BP_FOR(i, n) out[i] = mask[strided_offset(i, d, sm)] != T(0) ? a[strided_offset(i, d, sa)] : b[strided_offset(i, d, sb)]; } \
extern "C" __global__ void fill_rows_##S(long long n, const T* row, long long m, T* matrix) {                            \
    BP_FOR(i, n) matrix[i] = row[i % m]; }

template <typename To, typename From> __device__ __forceinline__ To bp_cast(From x) { return (To)x; }
template <> __device__ __forceinline__ bp_i64 bp_cast<bp_i64, float>(float x) {
    return x != x ? 0 : x >= 9223372036854775807.0f ? 9223372036854775807LL : x <= -9223372036854775808.0f ? (-9223372036854775807LL - 1) : (bp_i64)x;
}
template <> __device__ __forceinline__ bp_i64 bp_cast<bp_i64, double>(double x) {
    return x != x ? 0 : x >= 9223372036854775807.0 ? 9223372036854775807LL : x <= -9223372036854775808.0 ? (-9223372036854775807LL - 1) : (bp_i64)x;
}
template <typename From, typename To> __device__ __forceinline__ void bp_convert(long long n, const From* x, To* y) {
    BP_FOR(i, n) y[i] = bp_cast<To, From>(x[i]);
}

BP_WHERE(float, f32)
BP_WHERE(double, f64)
BP_WHERE(bp_i64, i64)
extern "C" __global__ void convert_f32_f64(long long n, const float* x, double* y) { bp_convert(n, x, y); }
extern "C" __global__ void convert_f64_f32(long long n, const double* x, float* y) { bp_convert(n, x, y); }
extern "C" __global__ void convert_i64_f32(long long n, const bp_i64* x, float* y) { bp_convert(n, x, y); }
extern "C" __global__ void convert_i64_f64(long long n, const bp_i64* x, double* y) { bp_convert(n, x, y); }
extern "C" __global__ void convert_f32_i64(long long n, const float* x, bp_i64* y) { bp_convert(n, x, y); }
extern "C" __global__ void convert_f64_i64(long long n, const double* x, bp_i64* y) { bp_convert(n, x, y); }
