// Hand-written fused kernels (the CPU's FusedKernels): activation backward, Adam and SGD steps, cross-entropy's gradient.
// Instantiated for float and double by the BP_FUSED macro at the end. Float operations follow the CPU kernels' order.

#define BP_FUSED(T, S)                                                                                                   \
extern "C" __global__ void relu_backward_##S(long long n, const T* g, const T* y, T* d) {                               \
    BP_FOR(i, n) d[i] = y[i] > T(0) ? g[i] : T(0); }                                                                     \
extern "C" __global__ void sigmoid_backward_##S(long long n, const T* g, const T* y, T* d) {                            \
    BP_FOR(i, n) d[i] = g[i] * (y[i] * (T(1) - y[i])); }                                                                 \
extern "C" __global__ void tanh_backward_##S(long long n, const T* g, const T* y, T* d) {                               \
    BP_FOR(i, n) d[i] = g[i] * (T(1) - y[i] * y[i]); }                                                                   \
extern "C" __global__ void sgd_step_##S(long long n, T* p, const T* g, T* buf, double lr, double momentum,              \
        double dampening, double weight_decay, int nesterov, int first_step) {                                           \
    BP_FOR(i, n) {                                                                                                       \
        T d = g[i];                                                                                                      \
        if (weight_decay != 0) d = d + T(weight_decay) * p[i];                                                           \
        if (momentum != 0) {                                                                                             \
            T b = first_step ? d : T(momentum) * buf[i] + T(1 - dampening) * d;                                          \
            buf[i] = b;                                                                                                  \
            d = nesterov ? d + T(momentum) * b : b;                                                                      \
        }                                                                                                                \
        p[i] = p[i] - T(lr) * d;                                                                                         \
    } }                                                                                                                  \
extern "C" __global__ void adam_step_##S(long long n, T* p, const T* g, T* m, T* v, T* vmax, double beta1, double beta2, \
        double step_size, double bc2_sqrt, double eps, int amsgrad) {                                                    \
    BP_FOR(i, n) {                                                                                                       \
        T gi = g[i];                                                                                                     \
        T mi = m[i] * T(beta1) + gi * T(1 - beta1);                                                                      \
        T vi = v[i] * T(beta2) + gi * gi * T(1 - beta2);                                                                 \
        m[i] = mi; v[i] = vi;                                                                                            \
        if (amsgrad) { vi = vmax[i] > vi ? vmax[i] : vi; vmax[i] = vi; }                                                 \
        T denom = sqrt(vi) / T(bc2_sqrt) + T(eps);                                                                       \
        p[i] = p[i] - T(step_size) * (mi / denom);                                                                      \
    } }                                                                                                                  \
extern "C" __global__ void subtract_one_hot_and_scale_##S(long long rows, int classes, T* p, const long long* target,    \
        const T* coef) {                                                                                                 \
    BP_FOR(i, rows * classes) {                                                                                          \
        long long r = i / classes; int c = (int)(i % classes);                                                           \
        T v = p[i] - (target[r] == c ? T(1) : T(0));                                                                     \
        p[i] = coef[r] * v;                                                                                              \
    } }

BP_FUSED(float, f32)
BP_FUSED(double, f64)
