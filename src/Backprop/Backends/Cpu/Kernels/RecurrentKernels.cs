using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Backprop.Kernels;

/// <summary>
/// The pointwise part of one LSTM time step for a batch, forward and backward, over contiguous [B, 4H] gate rows in
/// PyTorch's order i, f, g, o and [B, H] states. The matrix products around it are GEMMs the caller runs.
/// </summary>
internal static class RecurrentKernels
{
    /// <summary>
    /// In place, gates ← (σ(i), σ(f), tanh(g), σ(o)) from the pre-activations; then c = f·cPrev + i·g, tc = tanh(c),
    /// h = o·tc. Sigmoid and tanh are the library's own (TensorPrimitives), so results equal the composed ops'.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void LstmForward<T>(Span<T> gates, ReadOnlySpan<T> cPrev, Span<T> h, Span<T> c, Span<T> tanhC, int batch, int hidden)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int hh = hidden;
        for (int b = 0; b < batch; b++)
        {
            var row = gates.Slice(b * 4 * hh, 4 * hh);
            TensorPrimitives.Sigmoid(row[..(2 * hh)], row[..(2 * hh)]);
            TensorPrimitives.Tanh(row.Slice(2 * hh, hh), row.Slice(2 * hh, hh));
            TensorPrimitives.Sigmoid(row.Slice(3 * hh, hh), row.Slice(3 * hh, hh));
            ReadOnlySpan<T> i = row[..hh], f = row.Slice(hh, hh), g = row.Slice(2 * hh, hh), o = row.Slice(3 * hh, hh);
            var cb = c.Slice(b * hh, hh);
            var tb = tanhC.Slice(b * hh, hh);
            TensorPrimitives.Multiply(f, cPrev.Slice(b * hh, hh), cb);
            TensorPrimitives.Multiply(i, g, tb);
            TensorPrimitives.Add(cb, tb, cb);
            TensorPrimitives.Tanh(cb, tb);
            TensorPrimitives.Multiply(o, tb, h.Slice(b * hh, hh));
        }
    }

    /// <summary>
    /// The step's backward from the activated <paramref name="gates"/>, tanh(c) and cPrev: with dh and dc the total
    /// gradients of h and c, dc' = dc + dh·o·(1 − tc²); writes the pre-activation gate gradients
    /// (dc'·g·i(1−i), dc'·cPrev·f(1−f), dc'·i·(1−g²), dh·tc·o(1−o)) into <paramref name="dGates"/> and adds dc'·f to
    /// <paramref name="dcPrev"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void LstmBackward<T>(ReadOnlySpan<T> gates, ReadOnlySpan<T> tanhC, ReadOnlySpan<T> cPrev, ReadOnlySpan<T> dh, ReadOnlySpan<T> dc,
        Span<T> dcPrev, Span<T> dGates, int batch, int hidden) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int hh = hidden, n = Vector<T>.Count;
        var one = Vector<T>.One;
        for (int b = 0; b < batch; b++)
        {
            var row = gates.Slice(b * 4 * hh, 4 * hh);
            var drow = dGates.Slice(b * 4 * hh, 4 * hh);
            int s = b * hh, j = 0;
            if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
                for (; j <= hh - n; j += n)
                {
                    var i = new Vector<T>(row[j..]); var f = new Vector<T>(row[(hh + j)..]);
                    var g = new Vector<T>(row[(2 * hh + j)..]); var o = new Vector<T>(row[(3 * hh + j)..]);
                    var tc = new Vector<T>(tanhC[(s + j)..]); var dhv = new Vector<T>(dh[(s + j)..]);
                    var dcv = new Vector<T>(dc[(s + j)..]) + dhv * o * (one - tc * tc);
                    (dcv * g * i * (one - i)).CopyTo(drow[j..]);
                    (dcv * new Vector<T>(cPrev[(s + j)..]) * f * (one - f)).CopyTo(drow[(hh + j)..]);
                    (dcv * i * (one - g * g)).CopyTo(drow[(2 * hh + j)..]);
                    (dhv * tc * o * (one - o)).CopyTo(drow[(3 * hh + j)..]);
                    (new Vector<T>(dcPrev[(s + j)..]) + dcv * f).CopyTo(dcPrev[(s + j)..]);
                }
            for (; j < hh; j++)
            {
                T i = row[j], f = row[hh + j], g = row[2 * hh + j], o = row[3 * hh + j], tc = tanhC[s + j], dhs = dh[s + j];
                T dcs = dc[s + j] + dhs * o * (T.One - tc * tc);
                drow[j] = dcs * g * i * (T.One - i);
                drow[hh + j] = dcs * cPrev[s + j] * f * (T.One - f);
                drow[2 * hh + j] = dcs * i * (T.One - g * g);
                drow[3 * hh + j] = dhs * tc * o * (T.One - o);
                dcPrev[s + j] += dcs * f;
            }
        }
    }
}

/// <summary>The pointwise part of one GRU time step (gate order r, z, n), forward and backward.</summary>
internal static class GruKernels
{
    /// <summary>
    /// From the input projection <paramref name="x"/> and hidden projection <paramref name="hp"/> ([B, 3H] each, biases
    /// included): r = σ(x_r + hp_r), z = σ(x_z + hp_z), n = tanh(x_n + r·hp_n), h = (1 − z)·n + z·hPrev; writes (r, z, n)
    /// into <paramref name="gates"/> [B, 3H] and h.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> hp, ReadOnlySpan<T> hPrev, Span<T> h, Span<T> gates, int batch, int hidden)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int hh = hidden;
        for (int b = 0; b < batch; b++)
        {
            int o = b * 3 * hh;
            var g = gates.Slice(o, 3 * hh);
            TensorPrimitives.Add(x.Slice(o, 2 * hh), hp.Slice(o, 2 * hh), g[..(2 * hh)]);
            TensorPrimitives.Sigmoid(g[..(2 * hh)], g[..(2 * hh)]);
            var n = g.Slice(2 * hh, hh);
            TensorPrimitives.Multiply(g[..hh], hp.Slice(o + 2 * hh, hh), n);
            TensorPrimitives.Add(x.Slice(o + 2 * hh, hh), n, n);
            TensorPrimitives.Tanh(n, n);
            ReadOnlySpan<T> z = g.Slice(hh, hh), hb = hPrev.Slice(b * hh, hh);
            var hn = h.Slice(b * hh, hh);
            for (int j = 0; j < hh; j++) hn[j] = (T.One - z[j]) * n[j] + z[j] * hb[j];
        }
    }

    /// <summary>
    /// The step's backward from the saved (r, z, n), hp and hPrev, given dh (the total gradient of the step's h): writes
    /// the pre-activation gradients of the input projection (dr, dz, dn) into <paramref name="dX"/> and of the hidden
    /// projection (dr, dz, dn·r) into <paramref name="dHp"/> ([B, 3H] each), and adds dh·z into <paramref name="dhPrev"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward<T>(ReadOnlySpan<T> gates, ReadOnlySpan<T> hp, ReadOnlySpan<T> hPrev, ReadOnlySpan<T> dh, Span<T> dhPrev,
        Span<T> dX, Span<T> dHp, int batch, int hidden) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int hh = hidden;
        for (int b = 0; b < batch; b++)
        {
            int o = b * 3 * hh, s = b * hh;
            for (int j = 0; j < hh; j++)
            {
                T r = gates[o + j], z = gates[o + hh + j], n = gates[o + 2 * hh + j], d = dh[s + j];
                T dn = d * (T.One - z) * (T.One - n * n);
                T dz = d * (hPrev[s + j] - n) * z * (T.One - z);
                T dr = dn * hp[o + 2 * hh + j] * r * (T.One - r);
                dX[o + j] = dr; dX[o + hh + j] = dz; dX[o + 2 * hh + j] = dn;
                dHp[o + j] = dr; dHp[o + hh + j] = dz; dHp[o + 2 * hh + j] = dn * r;
                dhPrev[s + j] += d * z;
            }
        }
    }
}
