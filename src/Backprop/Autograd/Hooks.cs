namespace Backprop;

public partial class Tensor
{
    // Post-accumulate-grad hooks of a leaf, and the engine's count of the edges into this leaf that the current
    // backward run has still to process (tagged with the run id, like the counts on nodes).
    private List<Action<Tensor>>? postAccumulateGradHooks;
    internal int HookRunId, HookEdgesPending;
    internal bool HookGotGradient;

    internal bool HasPostAccumulateGradHooks => postAccumulateGradHooks is { Count: > 0 };

    /// <summary>
    /// Registers <paramref name="hook"/> to run after this leaf's gradient has been accumulated into <see cref="Grad"/>
    /// in a backward pass (<c>Tensor.register_post_accumulate_grad_hook</c>, PyTorch 2.1). The hook receives this tensor
    /// and runs once per <see cref="Backward(Tensor?, bool, bool)"/> that delivers a gradient to it, as soon as every
    /// gradient the pass sends it has been summed in, while the rest of the pass may still run (data-parallel
    /// training starts its gradient all-reduce from here). It does not run for <see cref="Autograd.Grad(Tensor, IReadOnlyList{Tensor}, Tensor?, bool?, bool, bool)"/>,
    /// which leaves <see cref="Grad"/> alone. Hooks run in registration order; dispose the returned handle to remove one.
    /// </summary>
    /// <exception cref="InvalidOperationException">This tensor is not a leaf, or does not require grad.</exception>
    public RemovableHandle RegisterPostAccumulateGradHook(Action<Tensor> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        if (!RequiresGrad)
            throw new InvalidOperationException($"RegisterPostAccumulateGradHook: the tensor (shape {ShapeString}) does not require grad, so no gradient is ever accumulated into it. Create it with requiresGrad: true.");
        if (GradFn is not null)
            throw new InvalidOperationException($"RegisterPostAccumulateGradHook: post accumulate grad hooks cannot be registered on non-leaf tensors; this one was produced by {GradFn.Name}.");
        var hooks = postAccumulateGradHooks ??= [];
        hooks.Add(hook);
        return new RemovableHandle(() => hooks.Remove(hook));
    }

    /// <summary>Runs the hooks once this run has processed every edge into this leaf (see <see cref="Engine"/>).</summary>
    internal void RunPostAccumulateGradHooks()
    {
        foreach (var hook in postAccumulateGradHooks!.ToArray()) hook(this);
    }
}

/// <summary>
/// Removes the hook it was returned for when disposed (<c>torch.utils.hooks.RemovableHandle</c>); removing twice does nothing.
/// </summary>
public sealed class RemovableHandle(Action remove) : IDisposable
{
    private Action? remove = remove;

    /// <summary>Removes the hook (<c>handle.remove()</c>).</summary>
    public void Remove() => Interlocked.Exchange(ref remove, null)?.Invoke();

    /// <summary>Same as <see cref="Remove"/>.</summary>
    public void Dispose() => Remove();
}
