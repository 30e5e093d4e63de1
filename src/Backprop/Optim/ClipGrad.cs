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
        // Each gradient's Σ|g|ᵖ (or max |g|) is reduced on its device in Float64; only the one total comes back to the host
        // (PyTorch's clip_grad_norm_ also reduces per gradient, then over the per-gradient results).
        double total;
        using (Autograd.NoGrad())
        {
            var parts = grads.Select(g =>
            {
                var d = g.Detach().To(DType.Float64);
                return double.IsPositiveInfinity(normType) ? d.Abs().Max() : normType == 2 ? (d * d).Sum() : d.Abs().Pow(normType).Sum();
            }).ToList();
            var all = parts.Count == 1 ? parts[0] : Tensor.Stack(parts);
            total = (double.IsPositiveInfinity(normType) ? all.Max() : all.Sum()).Item();
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
