using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Backprop.Backends;

namespace Backprop.Kernels;

/// <summary>
/// Fused scaled dot-product attention over contiguous [B, L, E] queries, [B, S, E] keys and [B, S, Ev] values, one
/// (batch·head) slice at a time. Forward: per query row the scores q·kⱼ·scale (+ mask), their running maximum, the
/// exponentials and Σ pⱼ·vⱼ are computed in one pass over the keys, so the [L, S] weights are never stored; the row's
/// log-sum-exp is kept for backward. Causal attention stops the key loop at j = i (no mask is built). Backward recomputes
/// each weight from the log-sum-exp (FlashAttention's rule: dS = P ⊙ (dP − rowsum(dO ⊙ O))). Dropout on the weights
/// keeps weight (b, i, j) when a counter-based hash of (seed, index) says so (<see cref="Keep"/>), so backward redraws
/// the same mask without storing it.
/// </summary>
internal static class AttentionKernels
{
    /// <summary>Forward for batch slices [b0, b1): output [B, L, Ev] and logSumExp [B, L]; <paramref name="scores"/> holds S values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward<T>(ReadOnlySpan<T> q, ReadOnlySpan<T> k, ReadOnlySpan<T> v, in AttentionMaskSpan<T> mask, in AttentionDims d,
        Span<T> output, Span<T> logSumExp, Span<T> scores, int b0, int b1) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T scale = T.CreateTruncating(d.Scale), keepScale = KeepScale<T>(d.DropoutP);
        for (int b = b0; b < b1; b++)
        {
            var kb = k.Slice(b * d.S * d.E, d.S * d.E);
            var vb = v.Slice(b * d.S * d.Ev, d.S * d.Ev);
            for (int i = 0; i < d.L; i++)
            {
                var qi = q.Slice((b * d.L + i) * d.E, d.E);
                var oi = output.Slice((b * d.L + i) * d.Ev, d.Ev);
                int end = d.Causal ? Math.Min(d.S, i + 1) : d.S;
                T max = T.NegativeInfinity;
                for (int j = 0; j < end; j++)
                {
                    T s = Dot(qi, kb.Slice(j * d.E, d.E)) * scale + mask.At(b, i, j);
                    scores[j] = s;
                    if (s > max) max = s;
                }
                oi.Clear();
                T sum = T.Zero;
                for (int j = 0; j < end; j++)
                {
                    T p = T.Exp(scores[j] - max); // NaN when every key is masked (max = −∞), as PyTorch's softmax
                    sum += p;
                    if (p != T.Zero && (d.DropoutP == 0 || Keep(d, b, i, j))) MultiplyAdd(vb.Slice(j * d.Ev, d.Ev), p, oi, oi);
                }
                TensorPrimitives.Multiply(oi, keepScale / sum, oi);
                logSumExp[b * d.L + i] = max + T.Log(sum);
            }
        }
    }

    /// <summary>
    /// Backward for batch slices [b0, b1): gradients of q, k, v from the output's gradient <paramref name="gradOutput"/>,
    /// the forward's <paramref name="output"/> and <paramref name="logSumExp"/>. Each slice owns its dK and dV rows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward<T>(ReadOnlySpan<T> q, ReadOnlySpan<T> k, ReadOnlySpan<T> v, in AttentionMaskSpan<T> mask, in AttentionDims d,
        ReadOnlySpan<T> output, ReadOnlySpan<T> logSumExp, ReadOnlySpan<T> gradOutput, Span<T> gradQ, Span<T> gradK, Span<T> gradV, int b0, int b1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T scale = T.CreateTruncating(d.Scale), keepScale = KeepScale<T>(d.DropoutP);
        for (int b = b0; b < b1; b++)
        {
            var kb = k.Slice(b * d.S * d.E, d.S * d.E);
            var vb = v.Slice(b * d.S * d.Ev, d.S * d.Ev);
            var dkb = gradK.Slice(b * d.S * d.E, d.S * d.E);
            var dvb = gradV.Slice(b * d.S * d.Ev, d.S * d.Ev);
            dkb.Clear();
            dvb.Clear();
            for (int i = 0; i < d.L; i++)
            {
                int row = b * d.L + i;
                var qi = q.Slice(row * d.E, d.E);
                var dqi = gradQ.Slice(row * d.E, d.E);
                var doi = gradOutput.Slice(row * d.Ev, d.Ev);
                T lse = logSumExp[row];
                T delta = Dot(doi, output.Slice(row * d.Ev, d.Ev)); // Σⱼ pⱼ·dpⱼ
                dqi.Clear();
                int end = d.Causal ? Math.Min(d.S, i + 1) : d.S;
                for (int j = 0; j < end; j++)
                {
                    var kj = kb.Slice(j * d.E, d.E);
                    var vj = vb.Slice(j * d.Ev, d.Ev);
                    T p = T.Exp(Dot(qi, kj) * scale + mask.At(b, i, j) - lse);
                    if (p == T.Zero) continue;
                    // with dropout the output used p̃ = p·keep/(1 − dropout): dV gets p̃·dO, and dP = keep/(1 − dropout)·(dO·v)
                    T kept = d.DropoutP == 0 || Keep(d, b, i, j) ? keepScale : T.Zero;
                    T ds = p * (kept == T.Zero ? -delta : kept * Dot(doi, vj) - delta) * scale;
                    MultiplyAdd(kj, ds, dqi, dqi);
                    var dkj = dkb.Slice(j * d.E, d.E);
                    MultiplyAdd(qi, ds, dkj, dkj);
                    if (kept == T.Zero) continue;
                    var dvj = dvb.Slice(j * d.Ev, d.Ev);
                    MultiplyAdd(doi, p * kept, dvj, dvj);
                }
            }
        }
    }

    /// <summary>
    /// a·b for one head's row. Heads are short (32–128 values), where a call into TensorPrimitives per (query, key) pair
    /// costs as much as the arithmetic: a multiple of the vector width runs inline in Vector256 lanes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Dot<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = a.Length, w = Vector256<T>.Count;
        if (!Vector256.IsHardwareAccelerated || n % w != 0 || b.Length != n) return TensorPrimitives.Dot(a, b);
        ref T ra = ref MemoryMarshal.GetReference(a);
        ref T rb = ref MemoryMarshal.GetReference(b);
        var acc = Vector256<T>.Zero;
        for (int e = 0; e < n; e += w) acc += Vector256.LoadUnsafe(ref ra, (nuint)e) * Vector256.LoadUnsafe(ref rb, (nuint)e);
        return Vector256.Sum(acc);
    }

    /// <summary>y = x·s + y over one head's row (inline Vector256 lanes, as <see cref="Dot{T}"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MultiplyAdd<T>(ReadOnlySpan<T> x, T s, Span<T> y, Span<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = x.Length, w = Vector256<T>.Count;
        if (!Vector256.IsHardwareAccelerated || n % w != 0 || y.Length != n || destination.Length != n)
        {
            TensorPrimitives.MultiplyAdd(x, s, y, destination);
            return;
        }
        ref T rx = ref MemoryMarshal.GetReference(x);
        ref T ry = ref MemoryMarshal.GetReference(y);
        ref T rd = ref MemoryMarshal.GetReference(destination);
        var sv = Vector256.Create(s);
        for (int e = 0; e < n; e += w)
            Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref rx, (nuint)e) * sv + Vector256.LoadUnsafe(ref ry, (nuint)e), ref rd, (nuint)e);
    }

    /// <summary>
    /// Whether dropout keeps weight (b, i, j): SplitMix64 of the seed plus the weight's flat index, as a uniform number in
    /// [0, 1) compared with the dropout probability. The same (seed, index) always gives the same answer.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool Keep(in AttentionDims d, int b, int i, int j)
    {
        ulong z = d.Seed + 0x9E3779B97F4A7C15UL * (ulong)(((long)b * d.L + i) * d.S + j + 1);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (z >> 11) * (1.0 / (1UL << 53)) >= d.DropoutP;
    }

    /// <summary>1/(1 − p), the scale of kept weights; 0 when everything is dropped (p = 1).</summary>
    private static T KeepScale<T>(double dropoutP) where T : unmanaged, IFloatingPointIeee754<T> =>
        dropoutP >= 1 ? T.Zero : T.CreateTruncating(1 / (1 - dropoutP));
}

/// <summary>
/// An additive mask read through strides: element (b, i, j) at <c>BatchOffsets[b] + i·RowStride + j·ColStride</c> of
/// <c>Data</c>; no mask when <c>BatchOffsets</c> is null (every entry 0).
/// </summary>
internal readonly ref struct AttentionMaskSpan<T>(ReadOnlySpan<T> data, int[]? batchOffsets, int rowStride, int colStride) where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly ReadOnlySpan<T> data = data;
    private readonly int[]? batchOffsets = batchOffsets;
    private readonly int rowStride = rowStride, colStride = colStride;

    /// <summary>The mask's value for slice b, query i, key j (0 without a mask).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T At(int b, int i, int j) => batchOffsets is null ? T.Zero : data[batchOffsets[b] + i * rowStride + j * colStride];
}
