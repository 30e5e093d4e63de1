using Backprop.Backends;

namespace Backprop;

/// <summary>Cross-entropy on class indices as one node: its backward is (softmax − onehot)·coef in one pass.</summary>
public partial class Tensor
{
    /// <summary>
    /// Records <paramref name="loss"/> (computed by <c>Functional.CrossEntropy</c> from <paramref name="logp"/> without a
    /// graph) as one node over <paramref name="logits"/> [n, classes]. Its backward is
    /// d loss / d logits[n, c] = coefₙ·(softmax[n, c] − [c = targetₙ]), coefₙ = gₙ·wₙ / norm: one backend pass when no graph
    /// of the backward is built, the same expression from differentiable ops otherwise (higher-order gradients).
    /// <paramref name="safeTarget"/> holds valid class indices (ignored targets replaced by 0, their weight 0);
    /// <paramref name="norm"/> is the mean's divisor as a 0-d tensor, or null for sum and no reduction.
    /// </summary>
    internal static Tensor RecordCrossEntropy(Tensor loss, Tensor logits, Tensor logp, Tensor safeTarget, Tensor w, Tensor? norm, bool perSample) =>
        Node.Record(loss, "CrossEntropyBackward", [logits], g =>
        {
            var coef = (perSample ? g.Reshape([-1]) : g.Expand(w.Shape)) * w;
            if (norm is not null) coef /= norm;
            if (Autograd.IsGradEnabled)
            {
                var onehot = ZerosLike(logp).Scatter(1, safeTarget.Unsqueeze(1), Ones([safeTarget.Numel, 1], logp.DType));
                return [(logits.Softmax(1) - onehot) * coef.Unsqueeze(1)];
            }
            var grad = logp.Exp();
            var c = coef.Dense();
            var t = safeTarget.Dense();
            Backend.Of("CrossEntropyBackward", grad, t, c).SubtractOneHotAndScale(grad.Layout, t.Layout, c.Layout);
            return [grad];
        }, logp, w, logits);
}
