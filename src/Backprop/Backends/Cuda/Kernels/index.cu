// Index-driven copies (the CPU's IndexKernels). No atomics: every kernel that adds or overwrites gives each thread
// its own set of destination elements and walks its sources in the CPU's order, so results are deterministic and
// equal the CPU's bit for bit (IndexAdd: one thread per [outer, inner] column, looping over the index in order;
// Scatter/ScatterAdd: one thread per line of the index along dim, in increasing position).
// index_check writes the first position whose index is outside [0, size) into *first_bad (which the host set to n);
// the host reads it back and throws IndexRangeException like the CPU does, before the indexed kernel runs.

extern "C" __global__ void index_check(long long n, const long long* index, long long size, long long* first_bad) {
    BP_FOR(i, n) if ((unsigned long long)index[i] >= (unsigned long long)size) atomicMin(first_bad, i);
}

// The offsets of element e of a contiguous index of shape d in self (index value at dim) and in other.
__device__ __forceinline__ void bp_scatter_offsets(long long e, const Dims& d, const Strides& ss, const Strides& os, int dim,
        long long value, long long& so, long long& oo) {
    so = 0; oo = 0;
    for (int k = d.ndim - 1; k >= 0; --k) {
        long long p = e % d.size[k]; e /= d.size[k];
        oo += p * os.stride[k];
        so += (k == dim ? value : p) * ss.stride[k];
    }
}

#define BP_INDEX(T, S)                                                                                                   \
extern "C" __global__ void index_select_##S(long long n, const T* x, long long size, long long count, long long inner,  \
        const long long* index, T* y) {                                                                                  \
    BP_FOR(i, n) {                                                                                                       \
        long long k = i % inner, j = (i / inner) % count, o = i / (inner * count);                                      \
        y[i] = x[(o * size + index[j]) * inner + k];                                                                     \
    } }                                                                                                                  \
extern "C" __global__ void index_add_##S(long long outer, long long size, long long inner, long long count,             \
        const long long* index, const T* src, T* dst) {                                                                  \
    BP_FOR(t, outer * inner) {                                                                                           \
        long long o = t / inner, k = t % inner;                                                                          \
        for (long long j = 0; j < count; ++j) dst[(o * size + index[j]) * inner + k] += src[(o * count + j) * inner + k];\
    } }                                                                                                                  \
extern "C" __global__ void gather_##S(long long n, const T* self, Strides ss, T* other, Strides os, const long long* index, \
        Dims d, int dim) {                                                                                               \
    BP_FOR(e, n) { long long so, oo; bp_scatter_offsets(e, d, ss, os, dim, index[e], so, oo); other[oo] = self[so]; } }  \
extern "C" __global__ void scatter_##S(long long lines, T* self, Strides ss, const T* other, Strides os,                 \
        const long long* index, Dims d, int dim, int add) {                                                              \
    long long len = d.size[dim], inner = 1;                                                                              \
    for (int k = dim + 1; k < d.ndim; ++k) inner *= d.size[k];                                                           \
    BP_FOR(line, lines) {                                                                                                \
        long long e0 = line / inner * len * inner + line % inner;                                                        \
        for (long long p = 0; p < len; ++p) {                                                                            \
            long long e = e0 + p * inner, so, oo;                                                                        \
            bp_scatter_offsets(e, d, ss, os, dim, index[e], so, oo);                                                     \
            if (add) self[so] += other[oo]; else self[so] = other[oo];                                                   \
        }                                                                                                                \
    } }

BP_INDEX(float, f32)
BP_INDEX(double, f64)
BP_INDEX(bp_i64, i64)
