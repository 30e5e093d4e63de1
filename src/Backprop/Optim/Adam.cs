using Backprop.Backends;

namespace Backprop.Optim;

/// <summary>
/// Adam (<c>torch.optim.Adam</c>): mₜ = β₁mₜ₋₁ + (1−β₁)gₜ, vₜ = β₂vₜ₋₁ + (1−β₂)gₜ²,
/// θ ← θ − (lr / (1−β₁ᵗ)) · mₜ / (√vₜ / √(1−β₂ᵗ) + ε). AMSGrad uses the running maximum of vₜ; weight decay adds λθ to gₜ.
/// </summary>
public class Adam : Optimizer
{
    /// <summary>Creates the optimizer (PyTorch's argument names in camelCase).</summary>
    public Adam(IEnumerable<Tensor> parameters, double lr = 1e-3, (double Beta1, double Beta2)? betas = null, double eps = 1e-8,
        double weightDecay = 0, bool amsgrad = false, bool maximize = false)
        : this(parameters, lr, betas ?? (0.9, 0.999), eps, weightDecay, amsgrad, maximize, decoupled: false)
    { }

    private protected Adam(IEnumerable<Tensor> parameters, double lr, (double Beta1, double Beta2) betas, double eps,
        double weightDecay, bool amsgrad, bool maximize, bool decoupled)
        : base(parameters, new()
        {
            ["lr"] = lr, ["beta1"] = betas.Beta1, ["beta2"] = betas.Beta2, ["eps"] = eps, ["weight_decay"] = weightDecay,
            ["amsgrad"] = amsgrad ? 1 : 0, ["maximize"] = maximize ? 1 : 0,
        })
    {
        DecoupledWeightDecay = decoupled;
    }

    /// <summary>True for AdamW: weight decay shrinks θ directly instead of being added to the gradient.</summary>
    protected bool DecoupledWeightDecay { get; }

    /// <inheritdoc/>
    protected override void Validate(IReadOnlyDictionary<string, double> o)
    {
        base.Validate(o);
        if (o["beta1"] < 0 || o["beta1"] >= 1) throw new ArgumentException($"Invalid beta parameter at index 0: {o["beta1"]}");
        if (o["beta2"] < 0 || o["beta2"] >= 1) throw new ArgumentException($"Invalid beta parameter at index 1: {o["beta2"]}");
    }

    /// <inheritdoc/>
    protected override void Update(Tensor param, Tensor grad, ParamGroup group, Dictionary<string, Tensor> state)
    {
        double beta1 = group["beta1"], beta2 = group["beta2"], lr = group.Lr, weightDecay = group["weight_decay"];
        if (!state.TryGetValue("exp_avg", out var expAvg))
        {
            state["exp_avg"] = expAvg = Tensor.ZerosLike(param);
            state["exp_avg_sq"] = Tensor.ZerosLike(param);
            if (group.Flag("amsgrad")) state["max_exp_avg_sq"] = Tensor.ZerosLike(param);
        }
        var expAvgSq = state["exp_avg_sq"];
        double step = IncrementStep(state);
        var g = group.Flag("maximize") ? -grad : grad;
        if (DecoupledWeightDecay) param.Mul_(1 - lr * weightDecay);
        else if (weightDecay != 0) g = g + param * weightDecay;

        double biasCorrection1 = 1 - Math.Pow(beta1, step), biasCorrection2Sqrt = Math.Sqrt(1 - Math.Pow(beta2, step));
        bool amsgrad = group.Flag("amsgrad");
        var maxSq = amsgrad ? state["max_exp_avg_sq"] : expAvgSq;
        g = g.Dense();
        if (param.IsContiguous)
        {
            // The whole update in one vectorised pass over the parameter, split across threads when it is large.
            var hyper = new AdamHyper(beta1, beta2, lr / biasCorrection1, biasCorrection2Sqrt, group["eps"], amsgrad);
            Backend.Of("Adam", param, g, expAvg, expAvgSq, maxSq).AdamStep(param.Layout, g.Layout, expAvg.Layout, expAvgSq.Layout, maxSq.Layout, hyper);
            param.BumpVersion();
            return;
        }
        expAvg.Mul_(beta1).Add_(g, 1 - beta1);
        expAvgSq.Mul_(beta2).Add_(g * g, 1 - beta2);
        if (amsgrad) maxSq.Copy_(Tensor.Maximum(maxSq, expAvgSq));
        var denom = maxSq.Sqrt() / biasCorrection2Sqrt + group["eps"];
        param.Add_(expAvg / denom, -lr / biasCorrection1);
    }
}
