using Backprop.Backends;

namespace Backprop.Optim;

/// <summary>
/// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and weight decay
/// (<c>torch.optim.SGD</c>). With gᵗ the gradient (negated when maximizing) plus λ·θ:
/// b₁ = g₁, bₜ = μ·bₜ₋₁ + (1−τ)·gₜ; the step uses gₜ + μ·bₜ (Nesterov) or bₜ; θ ← θ − lr·step.
/// </summary>
public sealed class Sgd : Optimizer
{
    /// <summary>Creates the optimizer (PyTorch's argument names in camelCase).</summary>
    public Sgd(IEnumerable<Tensor> parameters, double lr = 1e-3, double momentum = 0, double dampening = 0,
        double weightDecay = 0, bool nesterov = false, bool maximize = false)
        : base(parameters, new()
        {
            ["lr"] = lr, ["momentum"] = momentum, ["dampening"] = dampening, ["weight_decay"] = weightDecay,
            ["nesterov"] = nesterov ? 1 : 0, ["maximize"] = maximize ? 1 : 0,
        })
    { }

    /// <inheritdoc/>
    protected override void Validate(IReadOnlyDictionary<string, double> o)
    {
        base.Validate(o);
        if (o["momentum"] < 0) throw new ArgumentException($"Invalid momentum value: {o["momentum"]}");
        if (o["nesterov"] != 0 && (o["momentum"] <= 0 || o["dampening"] != 0))
            throw new ArgumentException("Nesterov momentum requires a momentum and zero dampening");
    }

    /// <inheritdoc/>
    protected override void Update(Tensor param, Tensor grad, ParamGroup group, Dictionary<string, Tensor> state)
    {
        double momentum = group["momentum"], weightDecay = group["weight_decay"];
        var g = (group.Flag("maximize") ? -grad : grad).Dense();
        bool first = momentum != 0 && !state.ContainsKey("momentum_buffer");
        if (first) state["momentum_buffer"] = Tensor.ZerosLike(param);
        if (param.IsContiguous && param.DType.IsFloatingPoint())
        {
            // The whole rule in one pass over the parameter.
            var buf = momentum != 0 ? state["momentum_buffer"] : param;
            var hyper = new SgdHyper(group.Lr, momentum, group["dampening"], weightDecay, group.Flag("nesterov"), first);
            Backend.Of("Sgd", param, g, buf).SgdStep(param.Layout, g.Layout, buf.Layout, hyper);
            param.BumpVersion();
            return;
        }
        var d = g;
        if (weightDecay != 0) d = d + param * weightDecay;
        if (momentum != 0)
        {
            var b = state["momentum_buffer"];
            if (first) b.Copy_(d);
            else b.Mul_(momentum).Add_(d, 1 - group["dampening"]);
            d = group.Flag("nesterov") ? d + b * momentum : b;
        }
        param.Add_(d, -group.Lr);
    }
}
