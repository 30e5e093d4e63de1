namespace Backprop.Optim;

/// <summary>Gradient clipping (<c>torch.nn.utils.clip_grad_norm_</c> and <c>clip_grad_value_</c>).</summary>
public static class ClipGrad
{
    /// <summary>
    /// Scales all gradients in place so that their joint <paramref name="normType"/>-norm is at most <paramref name="maxNorm"/>
    /// (coefficient maxNorm / (norm + 1e-6), capped at 1). Returns the norm before clipping. Use
    /// <see cref="double.PositiveInfinity"/> for the max-norm.
    /// </summary>
    public static double Norm(IEnumerable<Tensor> parameters, double maxNorm, double normType = 2, bool errorIfNonfinite = false)
    {
        var grads = parameters.Select(p => p.Grad).OfType<Tensor>().ToList();
        if (grads.Count == 0) return 0;
        double total = 0;
        foreach (var g in grads)
        {
            var v = g.ToArray<double>();
            if (double.IsPositiveInfinity(normType)) foreach (var x in v) total = Math.Max(total, Math.Abs(x));
            else foreach (var x in v) total += Math.Pow(Math.Abs(x), normType);
        }
        if (!double.IsPositiveInfinity(normType)) total = Math.Pow(total, 1 / normType);
        if (errorIfNonfinite && !double.IsFinite(total))
            throw new InvalidOperationException($"The total norm of order {normType} for gradients is non-finite, so it cannot be clipped.");
        double coef = Math.Min(maxNorm / (total + 1e-6), 1);
        if (coef < 1)
            using (Autograd.NoGrad())
                foreach (var g in grads) g.Mul_(coef);
        return total;
    }

    /// <summary>Clamps every gradient element into [−clipValue, clipValue] in place.</summary>
    public static void Value(IEnumerable<Tensor> parameters, double clipValue)
    {
        using (Autograd.NoGrad())
            foreach (var p in parameters)
                if (p.Grad is { } g) g.Copy_(g.Clamp(-clipValue, clipValue));
    }
}
