// Sliding windows over [N, C, H, W] images (the CPU's ConvKernels and PoolKernels), with the geometry in a Window.
// im2col: one thread per column-matrix entry. col2im: one thread per image element, adding the entries that read it
// in increasing (kernel row, kernel column) order, as the CPU's loop does: no atomics, the CPU's sums bit for bit.
// Max pooling: the first maximum of a window wins, a NaN always wins (the last one), padding is never a maximum.
// With relu (the ReLU fused after the pool): values are ReLU(max) (NaN stays), and windows whose maximum is not
// positive (NaN included) pass no gradient back.
// The backward passes give one thread a whole plane, so overlapping windows add in the CPU's order.

template <typename T> __device__ __forceinline__ long long bp_window_argmax(const T* src, const Window& g, long long oy,
        long long ox, T& max) {
    long long y0 = oy * g.sh - g.pt, y1 = y0 + (long long)(g.kh - 1) * g.dh + 1;
    long long x0 = ox * g.sw - g.pl, x1 = x0 + (long long)(g.kw - 1) * g.dw + 1;
    if (y1 > g.h) y1 = g.h;
    if (x1 > g.w) x1 = g.w;
    while (y0 < 0) y0 += g.dh;
    while (x0 < 0) x0 += g.dw;
    long long best = y0 * g.w + x0;
    max = -bp_infinity<T>();
    for (long long y = y0; y < y1; y += g.dh)
        for (long long x = x0; x < x1; x += g.dw) {
            T v = src[y * g.w + x];
            if (v > max || v != v) { max = v; best = y * g.w + x; }
        }
    return best;
}

#define BP_WINDOW(T, S)                                                                                                  \
extern "C" __global__ void im2col_##S(long long n, const T* images, Window g, double pad, T* columns) {                 \
    long long positions = (long long)g.oh * g.ow, rows = (long long)g.c * g.kh * g.kw;                                  \
    BP_FOR(i, n) {                                                                                                       \
        long long p = i % positions, r = (i / positions) % rows, img = i / (positions * rows);                           \
        long long c = r / (g.kh * g.kw), ki = (r / g.kw) % g.kh, kj = r % g.kw;                                          \
        long long y = p / g.ow * g.sh - g.pt + ki * g.dh, x = p % g.ow * g.sw - g.pl + kj * g.dw;                        \
        columns[i] = y >= 0 && y < g.h && x >= 0 && x < g.w                                                              \
            ? images[((img * g.c + c) * g.h + y) * g.w + x] : T(pad);                                                    \
    } }                                                                                                                  \
/* The same entries laid out [C·kh·kw, count, P] (image-major within a row), for one GEMM over a chunk of images. */    \
extern "C" __global__ void im2col_t_##S(long long n, const T* images, Window g, long long count, T* columns) {          \
    long long positions = (long long)g.oh * g.ow;                                                                        \
    BP_FOR(i, n) {                                                                                                       \
        long long p = i % positions, img = (i / positions) % count, r = i / (positions * count);                        \
        long long c = r / (g.kh * g.kw), ki = (r / g.kw) % g.kh, kj = r % g.kw;                                          \
        long long y = p / g.ow * g.sh - g.pt + ki * g.dh, x = p % g.ow * g.sw - g.pl + kj * g.dw;                        \
        columns[i] = y >= 0 && y < g.h && x >= 0 && x < g.w ? images[((img * g.c + c) * g.h + y) * g.w + x] : T(0);      \
    } }                                                                                                                  \
extern "C" __global__ void col2im_##S(long long n, const T* columns, Window g, T* images) {                             \
    long long positions = (long long)g.oh * g.ow, rows = (long long)g.c * g.kh * g.kw;                                  \
    BP_FOR(i, n) {                                                                                                       \
        long long x = i % g.w, y = (i / g.w) % g.h, c = (i / ((long long)g.w * g.h)) % g.c;                              \
        long long img = i / ((long long)g.w * g.h * g.c);                                                                \
        const T* col = columns + img * rows * positions;                                                                 \
        T v = images[i];                                                                                                 \
        for (long long ki = 0; ki < g.kh; ++ki) {                                                                        \
            long long ty = y + g.pt - ki * g.dh;                                                                         \
            if (ty < 0 || ty % g.sh != 0 || ty / g.sh >= g.oh) continue;                                                 \
            for (long long kj = 0; kj < g.kw; ++kj) {                                                                    \
                long long tx = x + g.pl - kj * g.dw;                                                                     \
                if (tx < 0 || tx % g.sw != 0 || tx / g.sw >= g.ow) continue;                                             \
                v += col[((c * g.kh + ki) * g.kw + kj) * positions + ty / g.sh * g.ow + tx / g.sw];                      \
            }                                                                                                            \
        }                                                                                                                \
        images[i] = v;                                                                                                   \
    } }                                                                                                                  \
extern "C" __global__ void maxpool2d_##S(long long n, const T* x, Window g, T* values, long long* indices, int has_indices, \
        int relu) {                                                                                                      \
    long long positions = (long long)g.oh * g.ow, plane = (long long)g.h * g.w;                                         \
    BP_FOR(i, n) {                                                                                                       \
        long long p = i / positions, o = i % positions; T max;                                                           \
        long long best = bp_window_argmax(x + p * plane, g, o / g.ow, o % g.ow, max);                                    \
        values[i] = relu && !(max > T(0)) && max == max ? T(0) : max;                                                    \
        if (has_indices) indices[i] = best;                                                                              \
    } }                                                                                                                  \
extern "C" __global__ void maxpool2d_backward_##S(long long planes, const T* grad, const long long* indices, Window g,   \
        T* dx) {                                                                                                         \
    long long positions = (long long)g.oh * g.ow, plane = (long long)g.h * g.w;                                         \
    BP_FOR(p, planes) {                                                                                                  \
        T* d = dx + p * plane;                                                                                           \
        for (long long o = p * positions; o < (p + 1) * positions; ++o) d[indices[o]] += grad[o];                        \
    } }                                                                                                                  \
extern "C" __global__ void maxpool2d_recomputed_backward_##S(long long planes, const T* grad, const T* x, Window g, T* dx, \
        int relu) {                                                                                                      \
    long long positions = (long long)g.oh * g.ow, plane = (long long)g.h * g.w;                                         \
    BP_FOR(p, planes) {                                                                                                  \
        T* d = dx + p * plane; const T* src = x + p * plane;                                                             \
        for (long long k = 0; k < plane; ++k) d[k] = T(0);                                                               \
        for (long long o = 0; o < positions; ++o) {                                                                      \
            T max; long long best = bp_window_argmax(src, g, o / g.ow, o % g.ow, max);                                   \
            if (!relu || max > T(0)) d[best] += grad[p * positions + o];                                                 \
        }                                                                                                                \
    } }

// The convolution's bias: added to every position of [N, Cout, P]; its gradient sums [N, Cout, P] over N and P, one
// thread per channel in (image, position) order.
#define BP_CONV(T, S)                                                                                                    \
extern "C" __global__ void conv_add_bias_##S(long long n, T* y, const T* bias, long long cout, long long positions) {    \
    BP_FOR(i, n) y[i] += bias[i / positions % cout]; }                                                                   \
extern "C" __global__ void conv_bias_grad_##S(long long cout, long long images, long long positions, const T* dy, T* db) {\
    BP_FOR(c, cout) {                                                                                                    \
        T acc = T(0);                                                                                                    \
        for (long long i = 0; i < images; ++i) {                                                                         \
            const T* row = dy + (i * cout + c) * positions;                                                              \
            for (long long p = 0; p < positions; ++p) acc += row[p];                                                     \
        }                                                                                                                \
        db[c] = acc;                                                                                                     \
    } }

BP_CONV(float, f32)
BP_CONV(double, f64)
BP_WINDOW(float, f32)
BP_WINDOW(double, f64)
