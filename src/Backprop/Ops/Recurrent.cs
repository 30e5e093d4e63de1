using Backprop.Backends;

namespace Backprop;

/// <summary>A whole LSTM or GRU layer direction as one autograd node (the fused paths of <c>NN.Lstm</c> and <c>NN.Gru</c>).</summary>
public partial class Tensor
{
    /// <summary>
    /// Runs an LSTM direction over all T steps of <paramref name="xProj"/> [T, B, 4H] (the input projection
    /// W_ih·x + b_ih of every step, gates i, f, g, o) from <paramref name="h0"/>, <paramref name="c0"/> [B, H]. Each
    /// step is one GEMM (gates += h·W_hhᵀ) and one fused pointwise pass. Returns the states as one tensor hc
    /// [2, T + 1, B, H]: hc[0] holds h and hc[1] holds c, with the initial state at index 0 (forward) or T
    /// (<paramref name="reverse"/>) and step t's state at t + 1 (forward) or t (reverse), so every time step's [B, H]
    /// block is contiguous and the output sequence is one contiguous slice.
    /// </summary>
    /// <remarks>
    /// One node for the whole sequence: its first-order backward walks the steps in reverse with one fused pointwise
    /// pass and one GEMM (dh_prev += dGates·W_hh) per step, then forms dW_hh as a single [4H, T·B]·[T·B, H] product and
    /// db_hh as one column sum; dxProj is the gate-gradient buffer itself. When a graph of the backward is requested
    /// (higher-order gradients) it recomputes the layer with <paramref name="composedStep"/> and differentiates that.
    /// </remarks>
    internal static Tensor LstmSequence(Tensor xProj, Tensor h0, Tensor c0, Tensor weightHh, Tensor? biasHh, bool reverse,
        Func<Tensor, Tensor, Tensor, (Tensor H, Tensor C)> composedStep)
    {
        int steps = xProj.shape[0], batch = xProj.shape[1], gates4 = xProj.shape[2], hidden = gates4 / 4;
        var dtype = xProj.DType;
        var backend = Backend.Of("Lstm", xProj, weightHh);
        var gates = Uninitialized([steps, batch, gates4], dtype, xProj);
        if (biasHh is not null) backend.Binary(BinaryKind.Add, xProj.Layout, biasHh.Layout, gates.Layout);
        else backend.CopyStrided(xProj.Layout, gates.Layout);
        var hc = Uninitialized([2, steps + 1, batch, hidden], dtype, xProj);
        var tanhC = Uninitialized([steps, batch, hidden], dtype, xProj);
        int init = reverse ? steps : 0;
        backend.CopyStrided(h0.Layout, Block(hc, 0, init).Layout);
        backend.CopyStrided(c0.Layout, Block(hc, 1, init).Layout);
        var wT = new Strided2D(weightHh.Storage, weightHh.Offset, weightHh.strides[1], weightHh.strides[0]); // W_hhᵀ [H, 4H]
        for (int s = 0; s < steps; s++)
        {
            int t = reverse ? steps - 1 - s : s, at = reverse ? t : t + 1, prev = reverse ? t + 1 : t;
            var g = Block(gates, t);
            backend.Gemm(dtype, Rows(hc, 0, prev, hidden), wT, new(gates.Storage, g.Offset, gates4, 1), batch, hidden, gates4, accumulate: true);
            backend.LstmCellForward(g.Layout, Block(hc, 1, prev).Layout, Block(hc, 0, at).Layout, Block(hc, 1, at).Layout, Block(tanhC, t).Layout);
        }
        Tensor[] inputs = biasHh is null ? [xProj, h0, c0, weightHh] : [xProj, h0, c0, weightHh, biasHh];
        return Node.Record(hc, "LstmBackward", inputs, gOut =>
        {
            if (Autograd.IsGradEnabled) return ComposedLstmGrad(inputs, gOut, reverse, composedStep);
            var gg = gOut.CopyData(); // gradients of every h and c; the recurrent parts are accumulated into it below
            var dGates = Uninitialized([steps, batch, gates4], dtype, xProj);
            var w = new Strided2D(weightHh.Storage, weightHh.Offset, weightHh.strides[0], weightHh.strides[1]);
            for (int s = steps - 1; s >= 0; s--)
            {
                int t = reverse ? steps - 1 - s : s, at = reverse ? t : t + 1, prev = reverse ? t + 1 : t;
                var dg = Block(dGates, t);
                backend.LstmCellBackward(Block(gates, t).Layout, Block(tanhC, t).Layout, Block(hc, 1, prev).Layout, Block(gg, 0, at).Layout,
                    Block(gg, 1, at).Layout, Block(gg, 1, prev).Layout, dg.Layout);
                backend.Gemm(dtype, new(dGates.Storage, dg.Offset, gates4, 1), w, Rows(gg, 0, prev, hidden), batch, gates4, hidden, accumulate: true);
            }
            Tensor? dW = null, dB = null;
            if (weightHh.RequiresGrad)
            {
                // dW_hh = Σ_t dGates_tᵀ·h_prev(t): the previous states of steps 0..T−1 are hc[0] rows from index 0 (forward) or 1 (reverse).
                dW = Uninitialized([gates4, hidden], dtype, xProj);
                int hOffset = (reverse ? 1 : 0) * batch * hidden;
                backend.Gemm(dtype, new(dGates.Storage, 0, 1, gates4), new(hc.Storage, hOffset, hidden, 1), new(dW.Storage, 0, hidden, 1),
                    gates4, steps * batch, hidden, accumulate: false);
            }
            if (biasHh is { RequiresGrad: true })
            {
                dB = Uninitialized([gates4], dtype, xProj);
                backend.Sum(dGates.Layout, 1, steps * batch, gates4, dB.Layout);
            }
            Tensor?[] grads = [xProj.RequiresGrad ? dGates : null, h0.RequiresGrad ? Block(gg, 0, init) : null, c0.RequiresGrad ? Block(gg, 1, init) : null, dW];
            return biasHh is null ? grads : [.. grads, dB];
        }, weightHh);
    }

    /// <summary>
    /// A GRU direction over all T steps of <paramref name="xProj"/> [T, B, 3H] (gates r, z, n, b_ih included) from
    /// <paramref name="h0"/> [B, H], as one node: each step is one GEMM (hp = b_hh + h·W_hhᵀ) and one pointwise pass.
    /// Returns the states hs [T + 1, B, H] with the initial state at 0 (forward) or T (<paramref name="reverse"/>) and
    /// step t's at t + 1 (forward) or t (reverse). Backward: per step one pointwise pass and one GEMM
    /// (dh_prev += dHp·W_hh), then dW_hh as one product and db_hh as one column sum; a graph-recording backward
    /// recomputes the layer with <paramref name="composedStep"/>.
    /// </summary>
    internal static Tensor GruSequence(Tensor xProj, Tensor h0, Tensor weightHh, Tensor? biasHh, bool reverse, Func<Tensor, Tensor, Tensor> composedStep)
    {
        int steps = xProj.shape[0], batch = xProj.shape[1], gates3 = xProj.shape[2], hidden = gates3 / 3;
        var dtype = xProj.DType;
        var backend = Backend.Of("Gru", xProj, weightHh);
        var x = xProj.Dense();
        var hp = Uninitialized([steps, batch, gates3], dtype, xProj);
        if (biasHh is not null) backend.FillRows(biasHh.Dense().Layout, hp.Layout); // hp = b_hh, then += h·W_hhᵀ per step, as Linear
        var gates = Uninitialized([steps, batch, gates3], dtype, xProj);
        var hs = Uninitialized([steps + 1, batch, hidden], dtype, xProj);
        int init = reverse ? steps : 0;
        backend.CopyStrided(h0.Layout, Block(hs, init).Layout);
        var wT = new Strided2D(weightHh.Storage, weightHh.Offset, weightHh.strides[1], weightHh.strides[0]);
        for (int s = 0; s < steps; s++)
        {
            int t = reverse ? steps - 1 - s : s, at = reverse ? t : t + 1, prev = reverse ? t + 1 : t;
            var hpt = Block(hp, t);
            backend.Gemm(dtype, new(hs.Storage, prev * batch * hidden, hidden, 1), wT, new(hp.Storage, hpt.Offset, gates3, 1), batch, hidden, gates3, accumulate: biasHh is not null);
            backend.GruCellForward(Block(x, t).Layout, hpt.Layout, Block(hs, prev).Layout, Block(hs, at).Layout, Block(gates, t).Layout);
        }
        Tensor[] inputs = biasHh is null ? [xProj, h0, weightHh] : [xProj, h0, weightHh, biasHh];
        return Node.Record(hs, "GruBackward", inputs, gOut =>
        {
            if (Autograd.IsGradEnabled) return ComposedGruGrad(inputs, gOut, reverse, composedStep);
            var gg = gOut.CopyData();
            var dX = Uninitialized([steps, batch, gates3], dtype, xProj);
            var dHp = Uninitialized([steps, batch, gates3], dtype, xProj);
            var w = new Strided2D(weightHh.Storage, weightHh.Offset, weightHh.strides[0], weightHh.strides[1]);
            for (int s = steps - 1; s >= 0; s--)
            {
                int t = reverse ? steps - 1 - s : s, at = reverse ? t : t + 1, prev = reverse ? t + 1 : t;
                var dhp = Block(dHp, t);
                backend.GruCellBackward(Block(gates, t).Layout, Block(hp, t).Layout, Block(hs, prev).Layout, Block(gg, at).Layout,
                    Block(gg, prev).Layout, Block(dX, t).Layout, dhp.Layout);
                backend.Gemm(dtype, new(dHp.Storage, dhp.Offset, gates3, 1), w, new(gg.Storage, prev * batch * hidden, hidden, 1), batch, gates3, hidden, accumulate: true);
            }
            Tensor? dW = null, dB = null;
            if (weightHh.RequiresGrad)
            {
                dW = Uninitialized([gates3, hidden], dtype, xProj);
                backend.Gemm(dtype, new(dHp.Storage, 0, 1, gates3), new(hs.Storage, (reverse ? 1 : 0) * batch * hidden, hidden, 1), new(dW.Storage, 0, hidden, 1),
                    gates3, steps * batch, hidden, accumulate: false);
            }
            if (biasHh is { RequiresGrad: true })
            {
                dB = Uninitialized([gates3], dtype, xProj);
                backend.Sum(dHp.Layout, 1, steps * batch, gates3, dB.Layout);
            }
            Tensor?[] grads = [xProj.RequiresGrad ? dX : null, h0.RequiresGrad ? Block(gg, init) : null, dW];
            return biasHh is null ? grads : [.. grads, dB];
        }, weightHh);
    }

    private static Tensor?[] ComposedGruGrad(Tensor[] inputs, Tensor gOut, bool reverse, Func<Tensor, Tensor, Tensor> step)
    {
        var xProj = inputs[0];
        int steps = xProj.shape[0], init = reverse ? steps : 0;
        var hs = new Tensor[steps + 1];
        hs[init] = inputs[1];
        for (int s = 0; s < steps; s++)
        {
            int t = reverse ? steps - 1 - s : s, at = reverse ? t : t + 1, prev = reverse ? t + 1 : t;
            hs[at] = step(xProj.Select(0, t), hs[prev]);
        }
        return Recompute.Grads(inputs, gOut, () => Stack(hs));
    }

    /// <summary>Step <paramref name="t"/>'s [B, …] block of a [T, B, …] buffer (a contiguous view, no node).</summary>
    private static Tensor Block(Tensor buffer, int t) => buffer.AsStrided(buffer.shape[1..], buffer.strides[1..], buffer.Offset + t * buffer.strides[0]);

    /// <summary>The [B, H] block at state index <paramref name="at"/> of part <paramref name="part"/> (0: h, 1: c) of hc [2, T + 1, B, H].</summary>
    private static Tensor Block(Tensor hc, int part, int at) =>
        hc.AsStrided(hc.shape[2..], hc.strides[2..], hc.Offset + part * hc.strides[0] + at * hc.strides[1]);

    /// <summary>The same block as a GEMM operand of <paramref name="hidden"/> columns.</summary>
    private static Strided2D Rows(Tensor hc, int part, int at, int hidden) =>
        new(hc.Storage, hc.Offset + part * hc.strides[0] + at * hc.strides[1], hidden, 1);

    /// <summary>Higher-order path: the layer recomputed from differentiable ops, and its gradients with a graph.</summary>
    private static Tensor?[] ComposedLstmGrad(Tensor[] inputs, Tensor gOut, bool reverse, Func<Tensor, Tensor, Tensor, (Tensor H, Tensor C)> step)
    {
        var xProj = inputs[0];
        int steps = xProj.shape[0], init = reverse ? steps : 0;
        var hs = new Tensor[steps + 1]; var cs = new Tensor[steps + 1];
        hs[init] = inputs[1]; cs[init] = inputs[2];
        for (int s = 0; s < steps; s++)
        {
            int t = reverse ? steps - 1 - s : s, at = reverse ? t : t + 1, prev = reverse ? t + 1 : t;
            (hs[at], cs[at]) = step(xProj.Select(0, t), hs[prev], cs[prev]);
        }
        return Recompute.Grads(inputs, gOut, () => Stack([Stack(hs), Stack(cs)]));
    }
}
