namespace Backprop.Optim;

/// <summary>
/// AdaGrad (<c>torch.optim.Adagrad</c>): per-coordinate steps shrink with the accumulated squared gradient.
/// sₜ = sₜ₋₁ + gₜ², θ ← θ − lrₜ · gₜ / (√sₜ + ε), with lrₜ = lr / (1 + (t−1)·lrDecay).
/// </summary>
public sealed class Adagrad : Optimizer
{
    /// <summary>Creates the optimizer (PyTorch's argument names in camelCase).</summary>
    public Adagrad(IEnumerable<Tensor> parameters, double lr = 1e-2, double lrDecay = 0, double weightDecay = 0,
        double initialAccumulatorValue = 0, double eps = 1e-10, bool maximize = false)
        : base(parameters, new()
        {
            ["lr"] = lr, ["lr_decay"] = lrDecay, ["weight_decay"] = weightDecay,
            ["initial_accumulator_value"] = initialAccumulatorValue, ["eps"] = eps, ["maximize"] = maximize ? 1 : 0,
        })
    { }

    /// <inheritdoc/>
    protected override void Validate(IReadOnlyDictionary<string, double> o)
    {
        base.Validate(o);
        if (o["lr_decay"] < 0) throw new ArgumentException($"Invalid lr_decay value: {o["lr_decay"]}");
        if (o["initial_accumulator_value"] < 0) throw new ArgumentException($"Invalid initial_accumulator_value value: {o["initial_accumulator_value"]}");
    }

    /// <inheritdoc/>
    protected override void Update(Tensor param, Tensor grad, ParamGroup group, Dictionary<string, Tensor> state)
    {
        if (!state.TryGetValue("sum", out var sum))
            state["sum"] = sum = Tensor.Full(param.Shape, group["initial_accumulator_value"], param.DType, param);
        double step = IncrementStep(state);
        var g = group.Flag("maximize") ? -grad : grad;
        if (group["weight_decay"] != 0) g = g + param * group["weight_decay"];
        double clr = group.Lr / (1 + (step - 1) * group["lr_decay"]);
        sum.Add_(g * g);
        var std = sum.Sqrt() + group["eps"];
        param.Add_(g / std, -clr);
    }
}
