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
                var onehot = ZerosLike(logp).Scatter(1, safeTarget.Unsqueeze(1), OnesLike(safeTarget.Unsqueeze(1)).To(logp.DType));
                return [(logits.Softmax(1) - onehot) * coef.Unsqueeze(1)];
            }
            var grad = logp.Exp();
            var c = coef.Dense();
            var t = safeTarget.Dense();
            Backend.Of("CrossEntropyBackward", grad, t, c).SubtractOneHotAndScale(grad.Layout, t.Layout, c.Layout);
            return [grad];
        }, logp, w, logits);

    /// <summary>
    /// The log-probability of each class-index target in <paramref name="logp"/> [n, classes] and its weight (0 for targets
    /// equal to <paramref name="ignoreIndex"/>, else the class weight or 1), computed on the tensors' device: the range
    /// check happens in the gather's kernel, so the targets are never copied to the host.
    /// </summary>
    internal static (Tensor Picked, Tensor Weight) PickTargets(Tensor logp, Tensor target, Tensor? weight, long ignoreIndex, string op)
    {
        int classes = logp.shape[1];
        var counted = target.Ne(Full([], ignoreIndex, DType.Int64, target));
        var safe = target * counted; // ignored targets become class 0 (their weight is 0)
        Tensor picked;
        try { picked = logp.Gather(1, safe.Unsqueeze(1)).Squeeze(1); }
        catch (IndexOutOfRangeException e) when (e.InnerException is IndexRangeException r)
        {
            throw new ArgumentException($"{op}: target {r.Value} at position {r.Position} is out of range for {classes} classes (expected 0 to {classes - 1}, or ignoreIndex {ignoreIndex}).");
        }
        var w = counted.To(logp.DType);
        if (weight is not null)
        {
            if (weight.Rank != 1 || weight.shape[0] != classes)
                throw new ArgumentException($"{op}: weight must have shape [{classes}] (one per class), got {weight.ShapeString}.");
            w = w * weight.To(logp.DType).IndexSelect(0, safe);
        }
        return (picked, w);
    }
}
