// Fused scaled dot-product attention (the CPU's AttentionKernels), without storing the [L, S] weights: forward one
// thread per query row (max, then sum of exp, then the weighted sum of value rows), backward one thread per query row
// for dQ and one per key row for dK and dV (each recomputes the weights from the saved log-sum-exp), so no thread
// writes another's row and nothing is atomic. Operand rows are contiguous; slice b's row r of an operand starts at
// base[b] + r * row stride. The additive mask is read at mbase[b] + i * mrs + j * mcs. Dropout keeps weight (b, i, j)
// by the CPU's SplitMix64 of the seed and the weight's flat index, so both sides drop the same weights.

struct AttnDims { int b, l, s, e, ev, causal; double scale, dropout; unsigned long long seed; long long qrs, krs, vrs, ors, mrs, mcs; };

__device__ __forceinline__ bool bp_keep(const AttnDims& d, long long b, long long i, long long j) {
    unsigned long long z = d.seed + 0x9E3779B97F4A7C15ULL * (unsigned long long)((b * d.l + i) * d.s + j + 1);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return (double)(z >> 11) * (1.0 / 9007199254740992.0) >= d.dropout;
}

// The scaled, masked score of query row qi against key j of slice b.
template <typename T> __device__ __forceinline__ T bp_score(const T* qi, const T* k, const long long* kb, const T* mask,
        const long long* mb, const AttnDims& d, long long b, long long i, long long j) {
    const T* kj = k + kb[b] + j * d.krs; T s = T(0);
    for (int e = 0; e < d.e; ++e) s += qi[e] * kj[e];
    s = s * T(d.scale);
    if (mask) s += mask[mb[b] + i * d.mrs + j * d.mcs];
    return s;
}

template <typename T> __device__ __forceinline__ T bp_keep_scale(const AttnDims& d) { return d.dropout >= 1 ? T(0) : T(1 / (1 - d.dropout)); }

#define BP_ATTENTION(T, S)                                                                                               \
extern "C" __global__ void attention_forward_##S(long long rows, AttnDims d, const T* q, const long long* qb, const T* k, \
        const long long* kb, const T* v, const long long* vb, const T* mask, const long long* mb, T* out,               \
        const long long* ob, T* lse) {                                                                                   \
    BP_FOR(r, rows) {                                                                                                    \
        long long b = r / d.l, i = r % d.l, end = d.causal ? (i + 1 < d.s ? i + 1 : d.s) : d.s;                          \
        const T* qi = q + qb[b] + i * d.qrs; T* oi = out + ob[b] + i * d.ors;                                            \
        T max = -bp_infinity<T>(), sum = T(0);                                                                           \
        for (long long j = 0; j < end; ++j) { T s = bp_score(qi, k, kb, mask, mb, d, b, i, j); max = s > max || s != s ? s : max; } \
        for (long long j = 0; j < end; ++j) sum += exp(bp_score(qi, k, kb, mask, mb, d, b, i, j) - max);                \
        for (int e = 0; e < d.ev; ++e) oi[e] = T(0);                                                                     \
        for (long long j = 0; j < end; ++j) {                                                                            \
            if (d.dropout > 0 && !bp_keep(d, b, i, j)) continue;                                                         \
            T p = exp(bp_score(qi, k, kb, mask, mb, d, b, i, j) - max); const T* vj = v + vb[b] + j * d.vrs;            \
            for (int e = 0; e < d.ev; ++e) oi[e] += p * vj[e];                                                           \
        }                                                                                                                \
        T factor = bp_keep_scale<T>(d) / sum;                                                                            \
        for (int e = 0; e < d.ev; ++e) oi[e] = oi[e] * factor;                                                           \
        lse[r] = max + log(sum);                                                                                         \
    } }                                                                                                                  \
/* dS_ij = p_ij · (keep · dO_i·v_j / (1 − dropout) − Σ_j p̃_ij dO_i·v_j) · scale, 0 where p is 0. */                    \
extern "C" __global__ void attention_backward_q_##S(long long rows, AttnDims d, const T* q, const long long* qb,         \
        const T* k, const long long* kb, const T* v, const long long* vb, const T* mask, const long long* mb,            \
        const T* out, const long long* ob, const T* lse, const T* dout, const long long* gob, long long gors, T* dq,     \
        const long long* gqb, long long gqrs) {                                                                          \
    BP_FOR(r, rows) {                                                                                                    \
        long long b = r / d.l, i = r % d.l, end = d.causal ? (i + 1 < d.s ? i + 1 : d.s) : d.s;                          \
        const T* qi = q + qb[b] + i * d.qrs; const T* doi = dout + gob[b] + i * gors; const T* oi = out + ob[b] + i * d.ors; \
        T* dqi = dq + gqb[b] + i * gqrs; T delta = T(0), ks = bp_keep_scale<T>(d);                                       \
        for (int e = 0; e < d.ev; ++e) delta += doi[e] * oi[e];                                                          \
        for (int e = 0; e < d.e; ++e) dqi[e] = T(0);                                                                     \
        for (long long j = 0; j < end; ++j) {                                                                            \
            T p = exp(bp_score(qi, k, kb, mask, mb, d, b, i, j) - lse[r]);                                               \
            if (p == T(0)) continue;                                                                                     \
            const T* vj = v + vb[b] + j * d.vrs; T dp = T(0);                                                            \
            for (int e = 0; e < d.ev; ++e) dp += doi[e] * vj[e];                                                         \
            if (d.dropout > 0) dp = bp_keep(d, b, i, j) ? dp * ks : T(0);                                                \
            T ds = p * (dp - delta) * T(d.scale); const T* kj = k + kb[b] + j * d.krs;                                   \
            for (int e = 0; e < d.e; ++e) dqi[e] += ds * kj[e];                                                          \
        }                                                                                                                \
    } }                                                                                                                  \
extern "C" __global__ void attention_backward_kv_##S(long long keys, AttnDims d, const T* q, const long long* qb,        \
        const T* k, const long long* kb, const T* v, const long long* vb, const T* mask, const long long* mb,            \
        const T* out, const long long* ob, const T* lse, const T* dout, const long long* gob, long long gors, T* dk,     \
        const long long* gkb, long long gkrs, T* dv, const long long* gvb, long long gvrs) {                             \
    BP_FOR(t, keys) {                                                                                                    \
        long long b = t / d.s, j = t % d.s, i0 = d.causal ? (j < d.l ? j : d.l) : 0;                                     \
        const T* vj = v + vb[b] + j * d.vrs; T* dkj = dk + gkb[b] + j * gkrs; T* dvj = dv + gvb[b] + j * gvrs;           \
        T ks = bp_keep_scale<T>(d);                                                                                      \
        for (int e = 0; e < d.e; ++e) dkj[e] = T(0);                                                                     \
        for (int e = 0; e < d.ev; ++e) dvj[e] = T(0);                                                                    \
        for (long long i = i0; i < d.l; ++i) {                                                                           \
            const T* qi = q + qb[b] + i * d.qrs; const T* doi = dout + gob[b] + i * gors; const T* oi = out + ob[b] + i * d.ors; \
            T p = exp(bp_score(qi, k, kb, mask, mb, d, b, i, j) - lse[b * d.l + i]);                                     \
            bool kept = d.dropout <= 0 || bp_keep(d, b, i, j);                                                           \
            T pt = kept ? (d.dropout > 0 ? p * ks : p) : T(0);                                                           \
            for (int e = 0; e < d.ev; ++e) dvj[e] += pt * doi[e];                                                        \
            if (p == T(0)) continue;                                                                                     \
            T delta = T(0), dp = T(0);                                                                                   \
            for (int e = 0; e < d.ev; ++e) { delta += doi[e] * oi[e]; dp += doi[e] * vj[e]; }                            \
            if (d.dropout > 0) dp = kept ? dp * ks : T(0);                                                               \
            T ds = p * (dp - delta) * T(d.scale);                                                                        \
            for (int e = 0; e < d.e; ++e) dkj[e] += ds * qi[e];                                                          \
        }                                                                                                                \
    } }

BP_ATTENTION(float, f32)
BP_ATTENTION(double, f64)
