namespace Backprop.Optim;

/// <summary>
/// RMSProp (<c>torch.optim.RMSprop</c>): vₜ = α·vₜ₋₁ + (1−α)·gₜ², θ ← θ − lr · gₜ / (√vₜ + ε). Centered mode divides by
/// √(vₜ − m̄ₜ²) with m̄ the running mean gradient; with momentum μ the ratio feeds a buffer bₜ = μ·bₜ₋₁ + gₜ/(…).
/// </summary>
public sealed class RmsProp : Optimizer
{
    /// <summary>Creates the optimizer (PyTorch's argument names in camelCase).</summary>
    public RmsProp(IEnumerable<Tensor> parameters, double lr = 1e-2, double alpha = 0.99, double eps = 1e-8,
        double weightDecay = 0, double momentum = 0, bool centered = false, bool maximize = false)
        : base(parameters, new()
        {
            ["lr"] = lr, ["alpha"] = alpha, ["eps"] = eps, ["weight_decay"] = weightDecay, ["momentum"] = momentum,
            ["centered"] = centered ? 1 : 0, ["maximize"] = maximize ? 1 : 0,
        })
    { }

    /// <inheritdoc/>
    protected override void Validate(IReadOnlyDictionary<string, double> o)
    {
        base.Validate(o);
        if (o["momentum"] < 0) throw new ArgumentException($"Invalid momentum value: {o["momentum"]}");
        if (o["alpha"] < 0) throw new ArgumentException($"Invalid alpha value: {o["alpha"]}");
    }

    /// <inheritdoc/>
    protected override void Update(Tensor param, Tensor grad, ParamGroup group, Dictionary<string, Tensor> state)
    {
        double alpha = group["alpha"], momentum = group["momentum"];
        if (!state.TryGetValue("square_avg", out var squareAvg)) state["square_avg"] = squareAvg = Tensor.ZerosLike(param);
        IncrementStep(state);
        var g = group.Flag("maximize") ? -grad : grad;
        if (group["weight_decay"] != 0) g = g + param * group["weight_decay"];
        squareAvg.Mul_(alpha).Add_(g * g, 1 - alpha);
        Tensor avg;
        if (group.Flag("centered"))
        {
            if (!state.TryGetValue("grad_avg", out var gradAvg)) state["grad_avg"] = gradAvg = Tensor.ZerosLike(param);
            gradAvg.Mul_(alpha).Add_(g, 1 - alpha);
            avg = (squareAvg - gradAvg * gradAvg).Sqrt() + group["eps"];
        }
        else avg = squareAvg.Sqrt() + group["eps"];
        if (momentum > 0)
        {
            if (!state.TryGetValue("momentum_buffer", out var buf)) state["momentum_buffer"] = buf = Tensor.ZerosLike(param);
            buf.Mul_(momentum).Add_(g / avg);
            param.Add_(buf, -group.Lr);
        }
        else param.Add_(g / avg, -group.Lr);
    }
}
