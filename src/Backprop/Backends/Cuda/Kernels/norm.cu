// Layer normalisation (the CPU's LayerNormKernels) and GELU's backward (GeluKernels). LayerNorm: one thread per row
// (sums in index order; the CPU's are vectorized, so Float32 agrees to rounding); the weight and bias gradients: one
// thread per column, adding the rows in order from zero. A null weight/bias/gradient pointer means absent.
// GELU backward computes GELU'(x) in double, as the CPU's scalar path does.

#define BP_NORM(T, S)                                                                                                    \
extern "C" __global__ void layernorm_forward_##S(long long rows, long long n, const T* x, const T* w, const T* b,       \
        double eps, T* y, T* mean, T* rstd) {                                                                            \
    BP_FOR(r, rows) {                                                                                                    \
        const T* xr = x + r * n; T* yr = y + r * n; T count = T(n), sum = T(0), sq = T(0);                               \
        for (long long i = 0; i < n; ++i) sum += xr[i];                                                                  \
        T m = sum / count;                                                                                               \
        for (long long i = 0; i < n; ++i) { T d = xr[i] - m; yr[i] = d; sq += d * d; }                                  \
        T s = T(1) / sqrt(sq / count + T(eps));                                                                          \
        for (long long i = 0; i < n; ++i) {                                                                              \
            T v = yr[i] * s;                                                                                             \
            if (w) v *= w[i];                                                                                            \
            if (b) v += b[i];                                                                                            \
            yr[i] = v;                                                                                                   \
        }                                                                                                                \
        mean[r] = m; rstd[r] = s;                                                                                        \
    } }                                                                                                                  \
extern "C" __global__ void layernorm_backward_input_##S(long long rows, long long n, const T* dy, const T* x,           \
        const T* mean, const T* rstd, const T* w, T* dx) {                                                               \
    BP_FOR(r, rows) {                                                                                                    \
        const T* xr = x + r * n; const T* dyr = dy + r * n; T m = mean[r], s = rstd[r], a = T(0), c = T(0), count = T(n);\
        for (long long i = 0; i < n; ++i) {                                                                              \
            T h = (xr[i] - m) * s, g = w ? dyr[i] * w[i] : dyr[i];                                                       \
            a += g; c += g * h;                                                                                          \
        }                                                                                                                \
        a = a / count; c = c / count;                                                                                    \
        for (long long i = 0; i < n; ++i) {                                                                              \
            T h = (xr[i] - m) * s, g = w ? dyr[i] * w[i] : dyr[i];                                                       \
            dx[r * n + i] = (h * -c + g - a) * s;                                                                        \
        }                                                                                                                \
    } }                                                                                                                  \
extern "C" __global__ void layernorm_backward_params_##S(long long rows, long long n, const T* dy, const T* x,          \
        const T* mean, const T* rstd, T* dw, T* db) {                                                                    \
    BP_FOR(i, n) {                                                                                                       \
        T sw = T(0), sb = T(0);                                                                                          \
        for (long long r = 0; r < rows; ++r) {                                                                           \
            T d = dy[r * n + i];                                                                                         \
            sw += d * ((x[r * n + i] - mean[r]) * rstd[r]);                                                              \
            sb += d;                                                                                                     \
        }                                                                                                                \
        if (dw) dw[i] = sw;                                                                                              \
        if (db) db[i] = sb;                                                                                              \
    } }                                                                                                                  \
extern "C" __global__ void gelu_backward_##S(long long n, const T* g, const T* x, T* d, int tanh_) {                    \
    BP_FOR(i, n) {                                                                                                       \
        double v = (double)x[i], r;                                                                                      \
        if (tanh_) {                                                                                                     \
            double k = 0.7978845608028654, t = tanh(k * (v + 0.044715 * v * v * v));                                     \
            r = 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * k * (1 + 3 * 0.044715 * v * v);                                 \
        } else r = 0.5 * (1 + erf(v * 0.70710678118654752440)) + v * exp(-0.5 * v * v) * 0.39894228040143267794;       \
        d[i] = g[i] * T(r);                                                                                              \
    } }

BP_NORM(float, f32)
BP_NORM(double, f64)
