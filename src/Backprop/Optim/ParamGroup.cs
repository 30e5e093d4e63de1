namespace Backprop.Optim;

/// <summary>
/// A set of parameters with its own hyper-parameters (one entry of PyTorch's <c>optimizer.param_groups</c>).
/// Hyper-parameters are kept by their PyTorch names (<c>lr</c>, <c>momentum</c>, <c>weight_decay</c>, <c>beta1</c>, …);
/// flags are stored as 0/1.
/// </summary>
public sealed class ParamGroup
{
    internal ParamGroup(IReadOnlyList<Tensor> parameters, Dictionary<string, double> options)
    {
        Params = parameters;
        Options = options;
    }

    /// <summary>The parameters this group updates.</summary>
    public IReadOnlyList<Tensor> Params { get; }

    /// <summary>Hyper-parameters by PyTorch name; schedulers change <c>lr</c> here.</summary>
    public Dictionary<string, double> Options { get; }

    /// <summary>Learning rate (<c>group['lr']</c>).</summary>
    public double Lr
    {
        get => Options["lr"];
        set => Options["lr"] = value;
    }

    /// <summary>A hyper-parameter by name (<c>group[name]</c>).</summary>
    public double this[string name]
    {
        get => Options.TryGetValue(name, out var v) ? v : throw new KeyNotFoundException($"Param group has no hyper-parameter \"{name}\"; it has: {string.Join(", ", Options.Keys)}.");
        set => Options[name] = value;
    }

    internal bool Flag(string name) => Options.TryGetValue(name, out var v) && v != 0;
}
