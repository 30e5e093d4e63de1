namespace Backprop;

/// <summary>
/// The backward engine: an iterative topological walk (Kahn's algorithm over dependency counts, no recursion) from the
/// output nodes, summing each node's incoming gradients before running its backward rule.
/// </summary>
internal static class Engine
{
    public static void Backward(Tensor root, Tensor? gradient, bool retainGraph, bool createGraph)
    {
        if (!root.RequiresGrad)
            throw new InvalidOperationException(
                $"Backward(): the tensor (shape {root.ShapeString}) does not require grad and has no GradFn. " +
                "Create the leaves you want gradients for with requiresGrad: true, and do not compute it inside Autograd.NoGrad().");
        Run([root], [gradient], retainGraph, createGraph, captureInputs: null);
    }

    /// <summary>Runs backward; with <paramref name="captureInputs"/> returns their gradients instead of accumulating into .Grad.</summary>
    public static Tensor?[]? Run(IReadOnlyList<Tensor> roots, IReadOnlyList<Tensor?>? rootGrads, bool retainGraph, bool createGraph, IReadOnlyList<Tensor>? captureInputs)
    {
        if (rootGrads is not null && rootGrads.Count != roots.Count)
            throw new ArgumentException($"Backward: got {rootGrads.Count} gradients for {roots.Count} outputs.");
        var captured = captureInputs is null ? null : new Tensor?[captureInputs.Count];

        // 1. Discover the graph and count, for every node, the edges that point at it.
        var deps = new Dictionary<Node, int>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<Node>();
        foreach (var r in roots)
            if (r.GradFn is { } fn && deps.TryAdd(fn, 0)) stack.Push(fn);
        while (stack.Count > 0)
            foreach (var e in stack.Pop().Edges)
                if (e.Fn is { } next)
                {
                    if (deps.TryAdd(next, 1)) stack.Push(next);
                    else deps[next]++;
                }

        using var mode = Autograd.SetGradEnabled(createGraph);
        var pending = new Dictionary<Node, Tensor>(ReferenceEqualityComparer.Instance);
        // Storages already handed out as a .Grad (or given by the caller): a gradient in one of them is copied before
        // it is stored, so no two .Grad tensors alias and no caller tensor is later accumulated into in place.
        var handedOut = new HashSet<Storage>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < roots.Count; i++)
            if (rootGrads?[i] is { } given) handedOut.Add(given.Storage);
        for (int i = 0; i < roots.Count; i++)
        {
            var r = roots[i];
            var g = RootGradient(r, rootGrads?[i], i);
            if (r.GradFn is { } fn) Add(pending, fn, g);
            else Deliver(r, g, createGraph, captureInputs, captured, handedOut);
        }

        // 2. Run nodes whose consumers have all been processed.
        var ready = new Stack<Node>();
        foreach (var (node, count) in deps) if (count == 0) ready.Push(node);
        while (ready.Count > 0)
        {
            var node = ready.Pop();
            Tensor?[]? inputGrads = null;
            if (pending.Remove(node, out var g))
            {
                if (captureInputs is null && node.RetainedOutput is { } retained) retained.Grad = Accumulate(retained.Grad, g, createGraph, handedOut);
                if (captureInputs is not null)
                    for (int i = 0; i < captureInputs.Count; i++)
                        if (ReferenceEquals(captureInputs[i].GradFn, node)) captured![i] = Accumulate(captured[i], g, createGraph, handedOut);
                inputGrads = node.Apply(g, retainGraph);
            }
            for (int i = 0; i < node.Edges.Length; i++)
            {
                var e = node.Edges[i];
                var gi = inputGrads?[i];
                if (e.Fn is { } next)
                {
                    if (gi is not null) Add(pending, next, gi);
                    if (--deps[next] == 0) ready.Push(next);
                }
                else if (e.Leaf is { } leaf && gi is not null)
                {
                    if (!gi.Shape.SequenceEqual(leaf.Shape))
                        throw new InvalidOperationException($"internal: {node.Name} produced a gradient of shape {gi.ShapeString} for an input of shape {leaf.ShapeString}.");
                    Deliver(leaf, gi, createGraph, captureInputs, captured, handedOut);
                }
            }
        }
        return captured;
    }

    private static Tensor RootGradient(Tensor root, Tensor? given, int index)
    {
        if (given is null)
        {
            if (root.Numel != 1)
                throw new InvalidOperationException(
                    $"Backward: output {index} has shape {root.ShapeString}; a gradient can be created implicitly only for one-element outputs. " +
                    "Pass a gradient of the same shape (Backward(gradient)) or reduce the output first, e.g. .Sum().");
            return Tensor.OnesLike(root);
        }
        if (!given.Shape.SequenceEqual(root.Shape))
            throw new ArgumentException($"Backward: gradient has shape {given.ShapeString} but output {index} has shape {root.ShapeString}; they must match.");
        return given.DType == root.DType ? given : given.To(root.DType);
    }

    private static void Add(Dictionary<Node, Tensor> pending, Node node, Tensor g) =>
        pending[node] = pending.TryGetValue(node, out var old) ? old + g : g;

    private static void Deliver(Tensor leaf, Tensor g, bool createGraph, IReadOnlyList<Tensor>? captureInputs, Tensor?[]? captured, HashSet<Storage> handedOut)
    {
        if (captureInputs is null)
        {
            leaf.Grad = Accumulate(leaf.Grad, g, createGraph, handedOut);
            return;
        }
        for (int i = 0; i < captureInputs.Count; i++)
            if (ReferenceEquals(captureInputs[i], leaf)) captured![i] = Accumulate(captured[i], g, createGraph, handedOut);
    }

    /// <summary>
    /// Sums a new gradient into an existing one: in place when no graph is being built, else as a recorded add. A first
    /// gradient is stored as it is when it is dense and its storage has not been handed out yet, otherwise copied.
    /// </summary>
    private static Tensor Accumulate(Tensor? existing, Tensor g, bool createGraph, HashSet<Storage> handedOut)
    {
        if (createGraph) return existing is null ? g : existing + g;
        if (existing is null)
        {
            var owned = g.IsContiguous && handedOut.Add(g.Storage) ? g.Detach() : g.Detach().Clone();
            handedOut.Add(owned.Storage);
            return owned;
        }
        if (existing.RequiresGrad) return existing.Detach() + g;
        existing.Add_(g);
        return existing;
    }
}
