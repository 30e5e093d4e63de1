// Scans and sorts along the middle dimension of [outer, size, inner] (the CPU's ScanSortKernels), every dtype.
// CumSum and Prod: one thread per line, in index order (the CPU's sums and products exactly). Sort: one thread per
// element computes its rank in its line (how many elements come before it: smaller, or equal and earlier — a stable
// order; NaN is the largest, so last ascending and first descending) and writes itself there: O(size²) per line, no
// scratch memory, the CPU's order exactly.

template <typename T> __device__ __forceinline__ int bp_compare(T x, T y) {
    bool nx = x != x, ny = y != y;
    if (nx || ny) return nx == ny ? 0 : nx ? 1 : -1;
    return x < y ? -1 : x > y ? 1 : 0;
}

#define BP_SCAN(T, S)                                                                                                    \
extern "C" __global__ void cumsum_##S(long long outer, long long size, long long inner, const T* x, T* y) {             \
    BP_FOR(j, outer * inner) {                                                                                           \
        long long b = j / inner * size * inner + j % inner; T acc = T(0);                                                \
        for (long long k = 0; k < size; ++k) { acc += x[b + k * inner]; y[b + k * inner] = acc; }                       \
    } }                                                                                                                  \
extern "C" __global__ void prod_##S(long long outer, long long size, long long inner, const T* x, T* y) {               \
    BP_FOR(j, outer * inner) {                                                                                           \
        long long b = j / inner * size * inner + j % inner; T acc = T(1);                                                \
        for (long long k = 0; k < size; ++k) acc *= x[b + k * inner];                                                    \
        y[j] = acc;                                                                                                      \
    } }                                                                                                                  \
extern "C" __global__ void sort_##S(long long n, long long size, long long inner, const T* x, T* values,               \
        long long* indices, int descending) {                                                                            \
    BP_FOR(i, n) {                                                                                                       \
        long long k = i / inner % size, b = i - k * inner; T v = x[i]; long long rank = 0;                               \
        for (long long j = 0; j < size; ++j) {                                                                           \
            int c = descending ? bp_compare(v, x[b + j * inner]) : bp_compare(x[b + j * inner], v);                     \
            if (c < 0 || (c == 0 && j < k)) ++rank;                                                                      \
        }                                                                                                                \
        values[b + rank * inner] = v; indices[b + rank * inner] = k;                                                     \
    } }

BP_SCAN(float, f32)
BP_SCAN(double, f64)
BP_SCAN(bp_i64, i64)
