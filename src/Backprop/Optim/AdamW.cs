namespace Backprop.Optim;

/// <summary>
/// Adam with decoupled weight decay (<c>torch.optim.AdamW</c>): θ ← θ·(1 − lr·λ) before the Adam step, and λ is not
/// added to the gradient. Default λ = 0.01.
/// </summary>
public sealed class AdamW : Adam
{
    /// <summary>Creates the optimizer (PyTorch's argument names in camelCase).</summary>
    public AdamW(IEnumerable<Tensor> parameters, double lr = 1e-3, (double Beta1, double Beta2)? betas = null, double eps = 1e-8,
        double weightDecay = 1e-2, bool amsgrad = false, bool maximize = false)
        : base(parameters, lr, betas ?? (0.9, 0.999), eps, weightDecay, amsgrad, maximize, decoupled: true)
    { }
}
