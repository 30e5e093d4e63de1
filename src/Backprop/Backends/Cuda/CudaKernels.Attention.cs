namespace Backprop.Backends.Cuda;

/// <summary>The host side of attention.cu (see <see cref="CudaKernels"/>).</summary>
internal static partial class CudaKernels
{
    /// <summary>One attention operand on the device: its address, each slice's first-row offset (uploaded), its row stride.</summary>
    internal readonly record struct AttentionRows(ulong Pointer, int[] Bases, int RowStride);

    /// <summary>The additive mask: address of its storage (0: none), each slice's offset, row and column strides.</summary>
    internal readonly record struct AttentionMask(ulong Pointer, int[]? Bases, int RowStride, int ColStride);

    private static KernelAttention Dims(in AttentionDims d, int qrs, int krs, int vrs, int ors, in AttentionMask m) => new()
    {
        B = d.B, L = d.L, S = d.S, E = d.E, Ev = d.Ev, Causal = d.Causal ? 1 : 0, Scale = d.Scale, Dropout = d.DropoutP, Seed = d.Seed,
        QueryRowStride = qrs, KeyRowStride = krs, ValueRowStride = vrs, OutputRowStride = ors, MaskRowStride = m.RowStride, MaskColStride = m.ColStride,
    };

    /// <summary>Uploads each operand's slice offsets (as Int64), runs <paramref name="launch"/> with their addresses, then releases them.</summary>
    private static void WithBases(CudaDevice d, int[]?[] bases, Action<ulong[]> launch)
    {
        var blocks = bases.Select(b => d.Upload<long>(b is null ? [0L] : [.. b.Select(x => (long)x)])).ToArray();
        try { launch([.. blocks.Select(b => b.Pointer)]); }
        finally { foreach (var b in blocks) d.Allocator.Release(b); } // the one stream orders any reuse after the kernels
    }

    /// <summary>output = softmax(q·kᵀ·scale + mask)·v per slice, and the rows' log-sum-exp [B, L].</summary>
    public static void AttentionForward(CudaDevice d, DType t, AttentionRows q, AttentionRows k, AttentionRows v, AttentionMask mask,
        in AttentionDims dims, AttentionRows output, ulong logSumExp)
    {
        var kd = Dims(dims, q.RowStride, k.RowStride, v.RowStride, output.RowStride, mask);
        long rows = (long)dims.B * dims.L;
        WithBases(d, [q.Bases, k.Bases, v.Bases, mask.Bases, output.Bases], p =>
            Run(d, "attention", "attention_forward_" + S(t), rows, new KernelArgs().Add(rows).Add(kd).Add(q.Pointer).Add(p[0]).Add(k.Pointer).Add(p[1])
                .Add(v.Pointer).Add(p[2]).Add(mask.Pointer).Add(p[3]).Add(output.Pointer).Add(p[4]).Add(logSumExp)));
    }

    /// <summary>The gradients of q, k and v (every element written) from the output's gradient, recomputing the weights.</summary>
    public static void AttentionBackward(CudaDevice d, DType t, AttentionRows q, AttentionRows k, AttentionRows v, AttentionMask mask,
        in AttentionDims dims, AttentionRows output, ulong logSumExp, AttentionRows gradOutput, AttentionRows gradQuery, AttentionRows gradKey,
        AttentionRows gradValue)
    {
        var kd = Dims(dims, q.RowStride, k.RowStride, v.RowStride, output.RowStride, mask);
        long rows = (long)dims.B * dims.L, keys = (long)dims.B * dims.S;
        WithBases(d, [q.Bases, k.Bases, v.Bases, mask.Bases, output.Bases, gradOutput.Bases, gradQuery.Bases, gradKey.Bases, gradValue.Bases], p =>
        {
            Run(d, "attention", "attention_backward_q_" + S(t), rows, new KernelArgs().Add(rows).Add(kd).Add(q.Pointer).Add(p[0]).Add(k.Pointer)
                .Add(p[1]).Add(v.Pointer).Add(p[2]).Add(mask.Pointer).Add(p[3]).Add(output.Pointer).Add(p[4]).Add(logSumExp)
                .Add(gradOutput.Pointer).Add(p[5]).Add((long)gradOutput.RowStride).Add(gradQuery.Pointer).Add(p[6]).Add((long)gradQuery.RowStride));
            Run(d, "attention", "attention_backward_kv_" + S(t), keys, new KernelArgs().Add(keys).Add(kd).Add(q.Pointer).Add(p[0]).Add(k.Pointer)
                .Add(p[1]).Add(v.Pointer).Add(p[2]).Add(mask.Pointer).Add(p[3]).Add(output.Pointer).Add(p[4]).Add(logSumExp)
                .Add(gradOutput.Pointer).Add(p[5]).Add((long)gradOutput.RowStride).Add(gradKey.Pointer).Add(p[7]).Add((long)gradKey.RowStride)
                .Add(gradValue.Pointer).Add(p[8]).Add((long)gradValue.RowStride));
        });
    }
}
