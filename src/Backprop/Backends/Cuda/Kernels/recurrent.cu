// The pointwise halves of the LSTM and GRU steps (the CPU's RecurrentKernels / GruKernels): one thread per (batch row,
// hidden unit), the CPU's formulas in its order. LSTM gates are [B, 4H] in the order i, f, g, o (activated in place);
// GRU gates [B, 3H] in the order r, z, n.

#define BP_RECURRENT(T, S)                                                                                               \
extern "C" __global__ void lstm_forward_##S(long long batch, long long hidden, T* gates, const T* c_prev, T* h, T* c,   \
        T* tanh_c) {                                                                                                     \
    BP_FOR(t, batch * hidden) {                                                                                          \
        long long b = t / hidden, j = t % hidden; T* row = gates + b * 4 * hidden;                                       \
        T i = T(1) / (T(1) + exp(-row[j])), f = T(1) / (T(1) + exp(-row[hidden + j]));                                   \
        T g = tanh(row[2 * hidden + j]), o = T(1) / (T(1) + exp(-row[3 * hidden + j]));                                  \
        row[j] = i; row[hidden + j] = f; row[2 * hidden + j] = g; row[3 * hidden + j] = o;                               \
        T cs = f * c_prev[t] + i * g, tc = tanh(cs);                                                                     \
        c[t] = cs; tanh_c[t] = tc; h[t] = o * tc;                                                                        \
    } }                                                                                                                  \
extern "C" __global__ void lstm_backward_##S(long long batch, long long hidden, const T* gates, const T* tanh_c,         \
        const T* c_prev, const T* dh, const T* dc, T* dc_prev, T* d_gates) {                                             \
    BP_FOR(t, batch * hidden) {                                                                                          \
        long long b = t / hidden, j = t % hidden; const T* row = gates + b * 4 * hidden; T* drow = d_gates + b * 4 * hidden; \
        T i = row[j], f = row[hidden + j], g = row[2 * hidden + j], o = row[3 * hidden + j], tc = tanh_c[t], dhs = dh[t];\
        T dcs = dc[t] + dhs * o * (T(1) - tc * tc);                                                                      \
        drow[j] = dcs * g * i * (T(1) - i);                                                                              \
        drow[hidden + j] = dcs * c_prev[t] * f * (T(1) - f);                                                             \
        drow[2 * hidden + j] = dcs * i * (T(1) - g * g);                                                                 \
        drow[3 * hidden + j] = dhs * tc * o * (T(1) - o);                                                                \
        dc_prev[t] += dcs * f;                                                                                           \
    } }                                                                                                                  \
extern "C" __global__ void gru_forward_##S(long long batch, long long hidden, const T* x, const T* hp, const T* h_prev,  \
        T* h, T* gates) {                                                                                                \
    BP_FOR(t, batch * hidden) {                                                                                          \
        long long b = t / hidden, j = t % hidden, o = b * 3 * hidden;                                                    \
        T r = T(1) / (T(1) + exp(-(x[o + j] + hp[o + j])));                                                              \
        T z = T(1) / (T(1) + exp(-(x[o + hidden + j] + hp[o + hidden + j])));                                            \
        T n = tanh(x[o + 2 * hidden + j] + r * hp[o + 2 * hidden + j]);                                                  \
        gates[o + j] = r; gates[o + hidden + j] = z; gates[o + 2 * hidden + j] = n;                                      \
        h[t] = (T(1) - z) * n + z * h_prev[t];                                                                           \
    } }                                                                                                                  \
extern "C" __global__ void gru_backward_##S(long long batch, long long hidden, const T* gates, const T* hp,             \
        const T* h_prev, const T* dh, T* dh_prev, T* dx, T* dhp) {                                                       \
    BP_FOR(t, batch * hidden) {                                                                                          \
        long long b = t / hidden, j = t % hidden, o = b * 3 * hidden;                                                    \
        T r = gates[o + j], z = gates[o + hidden + j], n = gates[o + 2 * hidden + j], d = dh[t];                         \
        T dn = d * (T(1) - z) * (T(1) - n * n);                                                                          \
        T dz = d * (h_prev[t] - n) * z * (T(1) - z);                                                                     \
        T dr = dn * hp[o + 2 * hidden + j] * r * (T(1) - r);                                                             \
        dx[o + j] = dr; dx[o + hidden + j] = dz; dx[o + 2 * hidden + j] = dn;                                            \
        dhp[o + j] = dr; dhp[o + hidden + j] = dz; dhp[o + 2 * hidden + j] = dn * r;                                     \
        dh_prev[t] += d * z;                                                                                             \
    } }

BP_RECURRENT(float, f32)
BP_RECURRENT(double, f64)
