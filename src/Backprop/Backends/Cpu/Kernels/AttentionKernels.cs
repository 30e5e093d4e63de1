using System.Buffers;
using System.Runtime.CompilerServices;
using Backprop.Backends;

namespace Backprop.Kernels;

/// <summary>
/// Fused scaled dot-product attention over B (batch·head) slices of L query rows, S key rows and S value rows, one
/// slice at a time; every operand is read or written through <see cref="AttentionOperand"/> (a base offset per slice
/// and a row stride, the row itself contiguous), so heads can be read straight out of a packed [N, T, 3E] projection
/// and the output written straight into [N, T, E]. Per slice, Kᵀ and Vᵀ are copied once into zero-padded [E, S']
/// blocks, so a query row's scores q·Kᵀ (and backward's dO·Vᵀ) are vector multiply-adds across keys with no
/// horizontal sums (<see cref="AttentionRows.Combine{T}"/>), and a row's exponentials are one vectorised call.
/// Forward keeps the row's log-sum-exp, so the [L, S] weights are never stored; causal attention stops at key i (no
/// mask is built). Backward recomputes each row's weights from the log-sum-exp (FlashAttention's rule:
/// dS = P ⊙ (dP − rowsum(dO ⊙ O))), keeps the slice's dS and dropped-out weights key-major, and forms each key's dK and
/// dV row at the end as one combination of query (dO) rows, so no gradient row is read back per (query, key) pair. Dropout on the weights keeps weight (b, i, j) when a counter-based hash of
/// (seed, index) says so (<see cref="Keep"/>), so backward redraws the same mask without storing it.
/// </summary>
internal static class AttentionKernels
{
    /// <summary>Forward for slices [b0, b1): output rows and logSumExp [B, L] (contiguous).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward<T>(T[] q, in AttentionOperand ql, T[] k, in AttentionOperand kl, T[] v, in AttentionOperand vl,
        in AttentionMaskSpan<T> mask, in AttentionDims d, T[] output, in AttentionOperand ol, Span<T> logSumExp, int b0, int b1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T scale = T.CreateTruncating(d.Scale), keepScale = KeepScale<T>(d.DropoutP);
        int sp = AttentionRows.Padded<T>(d.S);
        var pool = ArrayPool<T>.Shared;
        T[] kt = pool.Rent(d.E * sp), scores = pool.Rent(sp);
        try
        {
            for (int b = b0; b < b1; b++)
            {
                AttentionRows.Transpose(k, kl.Base(b), kl.RowStride, d.S, d.E, kt, sp);
                int vb = vl.Base(b);
                for (int i = 0; i < d.L; i++)
                {
                    var qi = q.AsSpan(ql.Base(b) + i * ql.RowStride, d.E);
                    var oi = output.AsSpan(ol.Base(b) + i * ol.RowStride, d.Ev);
                    int end = d.Causal ? Math.Min(d.S, i + 1) : d.S;
                    var s = scores.AsSpan(0, end);
                    var padded = scores.AsSpan(0, AttentionRows.Padded<T>(end));
                    AttentionRows.Combine(qi, kt, 0, sp, padded);
                    AttentionRows.Scale(padded, scale);
                    if (mask.IsPresent) for (int j = 0; j < end; j++) s[j] += mask.At(b, i, j);
                    T max = AttentionRows.Max<T>(padded, end);
                    T sum = AttentionRows.ExpSum(padded, end, max); // NaN when every key is masked (max = −∞), as PyTorch's softmax
                    if (d.DropoutP > 0) for (int j = 0; j < end; j++) if (!Keep(d, b, i, j)) s[j] = T.Zero;
                    AttentionRows.Combine(s, v, vb, vl.RowStride, oi);
                    AttentionRows.Scale(oi, keepScale / sum);
                    logSumExp[b * d.L + i] = max + T.Log(sum);
                }
            }
        }
        finally { pool.Return(kt); pool.Return(scores); }
    }

    /// <summary>
    /// Backward for slices [b0, b1): gradients of q, k, v from the output's gradient, the forward's output and
    /// logSumExp. Each slice owns its dK and dV rows, and every gradient row is written whole.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward<T>(T[] q, in AttentionOperand ql, T[] k, in AttentionOperand kl, T[] v, in AttentionOperand vl,
        in AttentionMaskSpan<T> mask, in AttentionDims d, T[] output, in AttentionOperand ol, ReadOnlySpan<T> logSumExp,
        T[] gradOutput, in AttentionOperand gol, T[] gradQ, in AttentionOperand gql, T[] gradK, in AttentionOperand gkl,
        T[] gradV, in AttentionOperand gvl, int b0, int b1) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T scale = T.CreateTruncating(d.Scale), keepScale = KeepScale<T>(d.DropoutP);
        int sp = AttentionRows.Padded<T>(d.S);
        var pool = ArrayPool<T>.Shared;
        // per slice: Kᵀ and Vᵀ blocks, one row's weights and gradients, and dSᵀ and P̃ᵀ [S, L] (key-major) for dK and dV
        T[] kt = pool.Rent(d.E * sp), vt = pool.Rent(d.Ev * sp), p = pool.Rent(sp), dp = pool.Rent(sp);
        T[] dsT = pool.Rent(d.S * d.L), pT = pool.Rent(d.S * d.L);
        try
        {
            for (int b = b0; b < b1; b++)
            {
                AttentionRows.Transpose(k, kl.Base(b), kl.RowStride, d.S, d.E, kt, sp);
                AttentionRows.Transpose(v, vl.Base(b), vl.RowStride, d.S, d.Ev, vt, sp);
                for (int i = 0; i < d.L; i++)
                {
                    var qi = q.AsSpan(ql.Base(b) + i * ql.RowStride, d.E);
                    var doi = gradOutput.AsSpan(gol.Base(b) + i * gol.RowStride, d.Ev);
                    T lse = logSumExp[b * d.L + i];
                    T delta = AttentionRows.Dot<T>(doi, output.AsSpan(ol.Base(b) + i * ol.RowStride, d.Ev)); // Σⱼ pⱼ·dpⱼ
                    int end = d.Causal ? Math.Min(d.S, i + 1) : d.S, padded = AttentionRows.Padded<T>(end);
                    var pi = p.AsSpan(0, end);
                    var dpi = dp.AsSpan(0, end);
                    AttentionRows.Combine(qi, kt, 0, sp, p.AsSpan(0, padded));
                    AttentionRows.Scale(p.AsSpan(0, padded), scale);
                    if (mask.IsPresent) for (int j = 0; j < end; j++) pi[j] += mask.At(b, i, j);
                    AttentionRows.ExpSum(p.AsSpan(0, padded), end, lse);
                    AttentionRows.Combine(doi, vt, 0, sp, dp.AsSpan(0, padded)); // dO·vⱼ
                    if (d.DropoutP == 0)
                    {
                        AttentionRows.ScoreGradient<T>(p.AsSpan(0, padded), dp.AsSpan(0, padded), delta, scale);
                        for (int j = 0; j < end; j++) { dsT[j * d.L + i] = dpi[j]; pT[j * d.L + i] = pi[j]; }
                    }
                    else // the output used p̃ = p·keep/(1 − dropout): dV gets p̃·dO, and dP = keep/(1 − dropout)·(dO·v)
                        for (int j = 0; j < end; j++)
                        {
                            bool kept = Keep(d, b, i, j);
                            T pj = pi[j], ds = pj == T.Zero ? T.Zero : pj * ((kept ? dpi[j] * keepScale : T.Zero) - delta) * scale;
                            dpi[j] = ds;
                            dsT[j * d.L + i] = ds;
                            pT[j * d.L + i] = kept ? pj * keepScale : T.Zero;
                        }
                    AttentionRows.Combine(dpi, k, kl.Base(b), kl.RowStride, gradQ.AsSpan(gql.Base(b) + i * gql.RowStride, d.E)); // dQᵢ = Σⱼ dSᵢⱼ·kⱼ
                }
                for (int j = 0; j < d.S; j++)
                {
                    int i0 = d.Causal ? Math.Min(j, d.L) : 0; // causal: only queries i ≥ j saw key j
                    var dsj = dsT.AsSpan(j * d.L + i0, d.L - i0);
                    AttentionRows.Combine(dsj, q, ql.Base(b) + i0 * ql.RowStride, ql.RowStride, gradK.AsSpan(gkl.Base(b) + j * gkl.RowStride, d.E)); // dKⱼ = Σᵢ dSᵢⱼ·qᵢ
                    var pj = pT.AsSpan(j * d.L + i0, d.L - i0);
                    AttentionRows.Combine(pj, gradOutput, gol.Base(b) + i0 * gol.RowStride, gol.RowStride, gradV.AsSpan(gvl.Base(b) + j * gvl.RowStride, d.Ev)); // dVⱼ = Σᵢ p̃ᵢⱼ·dOᵢ
                }
            }
        }
        finally { pool.Return(kt); pool.Return(vt); pool.Return(p); pool.Return(dp); pool.Return(dsT); pool.Return(pT); }
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
/// Where one attention operand's rows lie: slice b's row r starts at <c>Bases[b] + r·RowStride</c>, and a row's values
/// are contiguous. A contiguous [B, rows, E] tensor has bases b·rows·E and row stride E; a head of a packed
/// [N, T, 3E] projection has bases n·T·3E + h·E/heads (+ E or 2E for keys and values) and row stride 3E.
/// </summary>
internal readonly struct AttentionOperand(int[] bases, int rowStride)
{
    /// <summary>Offset of each slice's first row.</summary>
    public readonly int[] Bases = bases;
    /// <summary>Distance between consecutive rows of a slice.</summary>
    public readonly int RowStride = rowStride;

    /// <summary>Offset of slice <paramref name="b"/>'s first row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Base(int b) => Bases[b];

    /// <summary>
    /// A [batch…, rows, features] view whose rows are contiguous (last stride 1) as the offset of each slice's first row
    /// (batch dimensions flattened in order) and the row stride.
    /// </summary>
    public static AttentionOperand Of(in TensorView view)
    {
        int rank = view.Shape.Length;
        if (view.Shape[^1] > 1 && view.Strides[^1] != 1)
            throw new ArgumentException($"attention: an operand of shape {ShapeUtil.Format(view.Shape)} must have contiguous rows (last stride 1), got stride {view.Strides[^1]}.");
        int b = 1;
        for (int dim = 0; dim < rank - 2; dim++) b *= view.Shape[dim];
        var bases = new int[b];
        var index = new int[rank - 2];
        for (int i = 0; i < b; i++)
        {
            int off = view.Offset;
            for (int dim = 0; dim < index.Length; dim++) off += index[dim] * view.Strides[dim];
            bases[i] = off;
            for (int dim = index.Length - 1; dim >= 0; dim--)
            {
                if (++index[dim] < view.Shape[dim]) break;
                index[dim] = 0;
            }
        }
        return new AttentionOperand(bases, view.Strides[^2]);
    }
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

    /// <summary>Whether there is a mask at all.</summary>
    public bool IsPresent => batchOffsets is not null;

    /// <summary>The mask's value for slice b, query i, key j (0 without a mask).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T At(int b, int i, int j) => batchOffsets is null ? T.Zero : data[batchOffsets[b] + i * rowStride + j * colStride];
}
