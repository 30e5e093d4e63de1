// SumAll: a deterministic two-pass reduction. Pass 1 (grid G): each thread sums its grid-stride elements in order,
// then the block adds its threads' partial sums as a fixed tree in shared memory (any blockDim up to 1024: the tree
// pairs thread t with t + s while t + s < blockDim) and writes one partial per block. Pass 2 runs the same kernel with
// one block over the G partials. The result depends only on the launch shape, never on timing.

#define BP_TOTAL(T, S)                                                                                                   \
extern "C" __global__ void sum_all_##S(long long n, const T* x, T* partial) {                                           \
    __shared__ T buf[1024];                                                                                              \
    T acc = T(0);                                                                                                        \
    BP_FOR(i, n) acc += x[i];                                                                                            \
    unsigned int t = threadIdx.x;                                                                                        \
    buf[t] = acc;                                                                                                        \
    __syncthreads();                                                                                                     \
    for (unsigned int s = 1; s < blockDim.x; s *= 2) {                                                                   \
        if (t % (2 * s) == 0 && t + s < blockDim.x) buf[t] += buf[t + s];                                                \
        __syncthreads();                                                                                                 \
    }                                                                                                                    \
    if (t == 0) partial[blockIdx.x] = buf[0];                                                                            \
}

BP_TOTAL(float, f32)
BP_TOTAL(double, f64)
BP_TOTAL(bp_i64, i64)
