using System.Numerics.Tensors;

namespace Backprop.Kernels;

/// <summary>
/// Single-pass kernels for the hot backward rules of activations and for optimizer updates, used when no graph of the
/// backward pass is being built (first-order training); the composed forms serve higher-order gradients.
/// </summary>
internal static class FusedKernels
{
    /// <summary>d = y &gt; 0 ? g : 0 (ReLU backward from its output).</summary>
    public static void ReluGrad<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            var gv = System.Runtime.InteropServices.MemoryMarshal.Cast<T, Vector<T>>(g);
            var yv = System.Runtime.InteropServices.MemoryMarshal.Cast<T, Vector<T>>(y);
            var dv = System.Runtime.InteropServices.MemoryMarshal.Cast<T, Vector<T>>(d);
            for (int v = 0; v < dv.Length; v++) dv[v] = Vector.ConditionalSelect(Vector.GreaterThan(yv[v], Vector<T>.Zero), gv[v], Vector<T>.Zero);
            i = dv.Length * Vector<T>.Count;
        }
        for (; i < d.Length; i++) d[i] = y[i] > T.Zero ? g[i] : T.Zero;
    }

    /// <summary>d = g·y·(1 − y) (sigmoid backward from its output).</summary>
    public static void SigmoidGrad<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        TensorPrimitives.Subtract(T.One, y, d);
        TensorPrimitives.Multiply(d, y, d);
        TensorPrimitives.Multiply(d, g, d);
    }

    /// <summary>d = g·(1 − y²) (tanh backward from its output).</summary>
    public static void TanhGrad<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        TensorPrimitives.Multiply(y, y, d);
        TensorPrimitives.Subtract(T.One, d, d);
        TensorPrimitives.Multiply(d, g, d);
    }

    /// <summary>
    /// One Adam/AdamW step over a parameter, in place, vectorised: m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g²,
    /// v̂ ← max(v̂, v) with AMSGrad, θ ← θ − stepSize·m / (√v̂ / bc2sqrt + ε). g already includes maximize and L2 decay.
    /// </summary>
    /// <remarks>The operations are ordered as in PyTorch's Adam (m·β₁ + (1−β₁)·g, then θ + (−stepSize)·(m / denom)), with
    /// 1 − β computed in double and rounded once, so Float32 results round as PyTorch's do.</remarks>
    public static void Adam<T>(Span<T> p, ReadOnlySpan<T> g, Span<T> m, Span<T> v, Span<T> vmax, double beta1, double beta2, double stepSize, double bc2Sqrt, double eps, bool amsgrad)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T b1s = T.CreateChecked(beta1), b2s = T.CreateChecked(beta2), oneMinusB1 = T.CreateChecked(1 - beta1), oneMinusB2 = T.CreateChecked(1 - beta2);
        T step = T.CreateChecked(stepSize), bc2 = T.CreateChecked(bc2Sqrt), epsilon = T.CreateChecked(eps);
        int i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            int n = p.Length / Vector<T>.Count * Vector<T>.Count;
            var b1 = new Vector<T>(b1s); var b2 = new Vector<T>(b2s); var c1 = new Vector<T>(oneMinusB1); var c2 = new Vector<T>(oneMinusB2);
            var ss = new Vector<T>(step); var bc = new Vector<T>(bc2); var ep = new Vector<T>(epsilon);
            for (; i < n; i += Vector<T>.Count)
            {
                var gi = new Vector<T>(g[i..]);
                var mi = new Vector<T>(m[i..]) * b1 + gi * c1;
                var vi = new Vector<T>(v[i..]) * b2 + gi * gi * c2;
                mi.CopyTo(m[i..]); vi.CopyTo(v[i..]);
                if (amsgrad) { vi = Vector.Max(new Vector<T>(vmax[i..]), vi); vi.CopyTo(vmax[i..]); }
                var denom = Vector.SquareRoot(vi) / bc + ep;
                (new Vector<T>(p[i..]) - ss * (mi / denom)).CopyTo(p[i..]);
            }
        }
        for (; i < p.Length; i++)
        {
            T gi = g[i];
            T mi = m[i] = m[i] * b1s + gi * oneMinusB1;
            T vi = v[i] = v[i] * b2s + gi * gi * oneMinusB2;
            if (amsgrad) vi = vmax[i] = T.Max(vmax[i], vi);
            p[i] -= step * (mi / (T.Sqrt(vi) / bc2 + epsilon));
        }
    }

    /// <summary>
    /// One SGD step over a parameter, in place: d = g (+ λθ); with momentum b ← μb + (1−τ)d (b = d on the first step),
    /// d = d + μb (Nesterov) or b; θ ← θ − lr·d. <paramref name="g"/> already includes maximize.
    /// </summary>
    public static void Sgd<T>(Span<T> p, ReadOnlySpan<T> g, Span<T> buf, double lr, double momentum, double dampening, double weightDecay,
        bool nesterov, bool firstStep) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T wd = T.CreateChecked(weightDecay), mu = T.CreateChecked(momentum), damp = T.CreateChecked(1 - dampening), rate = T.CreateChecked(lr);
        bool useMomentum = momentum != 0;
        for (int i = 0; i < p.Length; i++)
        {
            T d = g[i];
            if (weightDecay != 0) d += wd * p[i];
            if (useMomentum)
            {
                T b = buf[i] = firstStep ? d : buf[i] * mu + damp * d;
                d = nesterov ? d + mu * b : b;
            }
            p[i] -= rate * d;
        }
    }

    /// <summary>
    /// Cross-entropy's gradient from softmax probabilities, in place: row n of <paramref name="p"/> ([n, classes]) becomes
    /// coefₙ·(pₙ − onehot(targetₙ)).
    /// </summary>
    public static void SubtractOneHotAndScale<T>(Span<T> p, int classes, ReadOnlySpan<long> target, ReadOnlySpan<T> coef)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < target.Length; i++)
        {
            var row = p.Slice(i * classes, classes);
            row[(int)target[i]] -= T.One;
            System.Numerics.Tensors.TensorPrimitives.Multiply(row, coef[i], row);
        }
    }
}
