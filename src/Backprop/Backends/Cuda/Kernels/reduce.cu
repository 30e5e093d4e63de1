// Reductions over [outer, size, inner] along the middle dimension (the CPU's ReductionKernels): one thread per
// (outer, inner) output, summing in the element type in index order like the CPU's sequential loop. Max/min keep the
// first extreme and its index, and stop at the first NaN (which wins), as the CPU's. Softmax does max, sum of exp,
// then the division, per (outer, inner) line. DivideInPlace divides by an integer converted to T.

#define BP_SUM(T, S)                                                                                                     \
extern "C" __global__ void sum_dim_##S(long long outer, long long size, long long inner, const T* x, T* y) {            \
    BP_FOR(j, outer * inner) {                                                                                           \
        long long o = j / inner, k = j % inner; const T* p = x + o * size * inner + k; T acc = T(0);                    \
        for (long long s = 0; s < size; ++s) acc += p[s * inner];                                                        \
        y[j] = acc;                                                                                                      \
    } }                                                                                                                  \
extern "C" __global__ void max_min_##S(long long outer, long long size, long long inner, const T* x, T* values,         \
        long long* indices, int max_) {                                                                                  \
    BP_FOR(j, outer * inner) {                                                                                           \
        long long o = j / inner, k = j % inner; const T* p = x + o * size * inner + k;                                   \
        T best = p[0]; long long at = 0;                                                                                 \
        for (long long s = 1; s < size && best == best; ++s) {                                                           \
            T v = p[s * inner];                                                                                          \
            if (v != v || (max_ ? v > best : v < best)) { best = v; at = s; }                                            \
        }                                                                                                                \
        values[j] = best; indices[j] = at;                                                                               \
    } }

// Softmax: an infinite maximum is taken as 0 (the CPU's rule), so a line holding +inf gives NaN like PyTorch's.
#define BP_REDUCE(T, S)                                                                                                  \
extern "C" __global__ void softmax_##S(long long outer, long long size, long long inner, const T* x, T* y, int log_) {   \
    BP_FOR(j, outer * inner) {                                                                                           \
        long long o = j / inner, k = j % inner, base = o * size * inner + k; T mx = x[base];                            \
        for (long long s = 1; s < size; ++s) { T v = x[base + s * inner]; mx = v > mx || v != v ? v : mx; }               \
        if (bp_isinf(mx)) mx = T(0);                                                                                     \
        T sum = T(0);                                                                                                    \
        for (long long s = 0; s < size; ++s) sum += exp(x[base + s * inner] - mx);                                       \
        T lse = log(sum);                                                                                                \
        for (long long s = 0; s < size; ++s) {                                                                           \
            T z = x[base + s * inner] - mx; y[base + s * inner] = log_ ? z - lse : exp(z) / sum; }                       \
    } }                                                                                                                  \
extern "C" __global__ void divide_inplace_##S(long long n, T* x, long long divisor) {                                   \
    BP_FOR(i, n) x[i] = x[i] / T(divisor); }

// Fill and strided copy, for every dtype (Int64 included; a one-word name, since T(value) must be a functional cast).
#define BP_COPY(T, S)                                                                                                    \
extern "C" __global__ void fill_##S(long long n, T* y, double value) { BP_FOR(i, n) y[i] = T(value); }                   \
extern "C" __global__ void copy_strided_##S(long long n, const T* x, Strides sx, T* y, Strides sy, Dims d) {            \
    BP_FOR(i, n) y[strided_offset(i, d, sy)] = x[strided_offset(i, d, sx)]; }

BP_SUM(float, f32)
BP_SUM(double, f64)
BP_SUM(bp_i64, i64)
BP_REDUCE(float, f32)
BP_REDUCE(double, f64)
BP_COPY(float, f32)
BP_COPY(double, f64)
BP_COPY(bp_i64, i64)
