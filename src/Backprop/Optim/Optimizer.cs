namespace Backprop.Optim;

/// <summary>
/// Base of all optimizers (<c>torch.optim.Optimizer</c>): param groups with their own hyper-parameters, per-parameter
/// state, <see cref="ZeroGrad"/>, <see cref="Step"/>, and a state dict that resumes training bit for bit. A subclass
/// implements one update rule in <see cref="Update"/>, which runs with autograd off.
/// </summary>
public abstract class Optimizer
{
    private readonly Dictionary<string, double> defaults;
    private readonly Dictionary<Tensor, Dictionary<string, Tensor>> state = new(ReferenceEqualityComparer.Instance);

    /// <summary>Creates the optimizer with one param group holding <paramref name="parameters"/>.</summary>
    protected Optimizer(IEnumerable<Tensor> parameters, Dictionary<string, double> defaults)
    {
        this.defaults = defaults;
        AddParamGroup(parameters);
    }

    /// <summary>The param groups (<c>optimizer.param_groups</c>).</summary>
    public List<ParamGroup> ParamGroups { get; } = [];

    /// <summary>
    /// Adds parameters with their own hyper-parameters; unspecified ones take the optimizer's defaults
    /// (<c>optimizer.add_param_group</c>).
    /// </summary>
    public void AddParamGroup(IEnumerable<Tensor> parameters, IReadOnlyDictionary<string, double>? options = null)
    {
        var list = parameters.ToList();
        if (list.Count == 0) throw new ArgumentException("Optimizer got an empty parameter list.");
        foreach (var p in list)
        {
            if (!p.IsLeaf) throw new ArgumentException($"Can't optimize a non-leaf tensor (shape {p.ShapeString}, produced by {p.GradFn!.Name}).");
            if (!p.DType.IsFloatingPoint()) throw new ArgumentException($"Can't optimize a {p.DType} tensor; parameters must be floating point.");
            if (ParamGroups.Any(g => g.Params.Contains(p, ReferenceEqualityComparer.Instance)))
                throw new ArgumentException("Some parameters appear in more than one parameter group.");
        }
        var merged = new Dictionary<string, double>(defaults);
        if (options is not null)
            foreach (var (k, v) in options)
            {
                if (!defaults.ContainsKey(k)) throw new ArgumentException($"Unknown hyper-parameter \"{k}\" for {GetType().Name}; known: {string.Join(", ", defaults.Keys)}.");
                merged[k] = v;
            }
        Validate(merged);
        ParamGroups.Add(new ParamGroup(list, merged));
    }

    /// <summary>Checks hyper-parameters; throws <see cref="ArgumentException"/> with PyTorch's wording.</summary>
    protected virtual void Validate(IReadOnlyDictionary<string, double> options)
    {
        if (options["lr"] < 0) throw new ArgumentException($"Invalid learning rate: {options["lr"]}");
        if (options.TryGetValue("weight_decay", out var wd) && wd < 0) throw new ArgumentException($"Invalid weight_decay value: {wd}");
        if (options.TryGetValue("eps", out var eps) && eps < 0) throw new ArgumentException($"Invalid epsilon value: {eps}");
    }

    /// <summary>Clears every parameter's gradient: sets it to null, or zeroes it in place (<c>optimizer.zero_grad(set_to_none)</c>).</summary>
    public void ZeroGrad(bool setToNone = true)
    {
        foreach (var g in ParamGroups)
            foreach (var p in g.Params)
            {
                if (setToNone) p.Grad = null;
                else p.Grad?.Zero_();
            }
    }

    /// <summary>Updates every parameter that has a gradient, by this optimizer's rule (<c>optimizer.step()</c>).</summary>
    public void Step()
    {
        using var noGrad = Autograd.NoGrad();
        foreach (var group in ParamGroups)
            foreach (var p in group.Params)
            {
                if (p.Grad is not { } grad) continue;
                if (!state.TryGetValue(p, out var s)) state[p] = s = [];
                Update(p, grad.DType == p.DType ? grad : grad.To(p.DType), group, s);
                foreach (var t in s.Values) t.DetachFromScope(); // state outlives any TensorScope around Step()
            }
    }

    /// <summary>Applies the update rule to one parameter in place, given its gradient, its group and its state.</summary>
    protected abstract void Update(Tensor param, Tensor grad, ParamGroup group, Dictionary<string, Tensor> state);

    /// <summary>
    /// Returns the step count stored in a parameter's state after incrementing it. The count is a 0-d Float64 tensor kept
    /// in host memory whatever the parameter's device (PyTorch's non-capturable <c>state["step"]</c>), so reading it is
    /// no device round-trip.
    /// </summary>
    protected static double IncrementStep(Dictionary<string, Tensor> state)
    {
        if (!state.TryGetValue("step", out var step)) state["step"] = step = Tensor.HostScalar(0, DType.Float64);
        step.Add_(1);
        return step.Item();
    }

    /// <summary>
    /// A deep copy of the optimizer's state (<c>optimizer.state_dict()</c>): per-parameter state keyed by the parameter's
    /// position across groups, and each group's hyper-parameters.
    /// </summary>
    public OptimizerState StateDict()
    {
        var result = new OptimizerState();
        int index = 0;
        foreach (var g in ParamGroups)
        {
            var ids = new List<int>();
            foreach (var p in g.Params)
            {
                if (state.TryGetValue(p, out var s))
                    result.State[index] = s.ToDictionary(kv => kv.Key, kv => kv.Value.Clone());
                ids.Add(index++);
            }
            result.ParamGroups.Add((new Dictionary<string, double>(g.Options), ids));
        }
        return result;
    }

    /// <summary>Restores state saved by <see cref="StateDict"/> (<c>optimizer.load_state_dict</c>); group sizes must match.</summary>
    public void LoadStateDict(OptimizerState saved)
    {
        if (saved.ParamGroups.Count != ParamGroups.Count)
            throw new ArgumentException($"Loaded optimizer state has {saved.ParamGroups.Count} parameter groups; this optimizer has {ParamGroups.Count}.");
        for (int i = 0; i < ParamGroups.Count; i++)
            if (saved.ParamGroups[i].ParamIds.Count != ParamGroups[i].Params.Count)
                throw new ArgumentException($"Loaded state dict contains a parameter group ({i}) that doesn't match the size of the optimizer's group: {saved.ParamGroups[i].ParamIds.Count} vs {ParamGroups[i].Params.Count} parameters.");
        state.Clear();
        for (int i = 0; i < ParamGroups.Count; i++)
        {
            var group = ParamGroups[i];
            var (options, ids) = saved.ParamGroups[i];
            foreach (var (k, v) in options) group.Options[k] = v;
            for (int j = 0; j < ids.Count; j++)
            {
                if (!saved.State.TryGetValue(ids[j], out var s)) continue;
                var p = group.Params[j];
                foreach (var (name, t) in s)
                    if (name != "step" && !t.Shape.SequenceEqual(p.Shape))
                        throw new ArgumentException($"Loaded optimizer state \"{name}\" for parameter {ids[j]} has shape {t.ShapeString}, the parameter has {p.ShapeString}.");
                // PyTorch's rule: the state takes the parameter's device and dtype (the step counter stays as saved).
                state[p] = s.ToDictionary(kv => kv.Key, kv => (kv.Key == "step" ? kv.Value.Clone() : kv.Value.Clone().To(p.Storage.Allocator).To(p.DType)).DetachFromScope());
            }
        }
    }
}

/// <summary>A snapshot of an optimizer's state, as returned by <see cref="Optimizer.StateDict"/>.</summary>
public sealed class OptimizerState
{
    /// <summary>Per-parameter state (momentum buffers, moments, step) keyed by the parameter's index across groups.</summary>
    public Dictionary<int, Dictionary<string, Tensor>> State { get; } = [];

    /// <summary>Each group's hyper-parameters and the indices of its parameters.</summary>
    public List<(Dictionary<string, double> Options, List<int> ParamIds)> ParamGroups { get; } = [];
}
