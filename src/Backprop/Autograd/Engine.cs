namespace Backprop;

/// <summary>
/// The backward engine: an iterative topological walk (Kahn's algorithm over dependency counts, no recursion) from the
/// output nodes, summing each node's incoming gradients before running its backward rule.
/// </summary>
internal static class Engine
{
    /// <summary>
    /// Benchmark probe only (bench/): when set, times every node's backward rule. Null in normal use (one null check per node).
    /// </summary>
    internal static IBackwardProbe? NodeProbe;

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

        // 1. Discover the graph and count, for every node, the edges that point at it. The counts live on the nodes,
        //    tagged with this run's id.
        int run = Interlocked.Increment(ref runCounter);
        var work = TakeWorkspace();
        var (discovered, stack, ready) = (work.Discovered, work.Stack, work.Ready);
        //    Leaves with post-accumulate-grad hooks count their incoming edges too, so their hooks run once, after the last.
        bool hooks = captureInputs is null;
        foreach (var r in roots)
            if (r.GradFn is { } fn) { if (fn.RunId != run) { Visit(fn, run, 0); discovered.Add(fn); stack.Push(fn); } }
            else if (hooks && r.HasPostAccumulateGradHooks) CountHookEdge(r, run);
        while (stack.Count > 0)
            foreach (var e in stack.Pop().Edges)
                if (e.Fn is { } next)
                {
                    if (next.RunId != run) { Visit(next, run, 1); discovered.Add(next); stack.Push(next); }
                    else next.Dependencies++;
                }
                else if (hooks && e.Leaf is { HasPostAccumulateGradHooks: true } leaf) CountHookEdge(leaf, run);

        using var mode = Autograd.SetGradEnabled(createGraph);
        // Storages handed out as a .Grad (or given by the caller) are tagged with the run id: a gradient in one of
        // them is copied before it is stored, so no two .Grad tensors alias and no caller tensor is accumulated into.
        for (int i = 0; i < roots.Count; i++)
            if (rootGrads?[i] is { } given) given.Storage.HandedOutRun = run;
        for (int i = 0; i < roots.Count; i++)
        {
            var r = roots[i];
            var g = RootGradient(r, rootGrads?[i], i);
            if (r.GradFn is { } fn) Add(fn, g);
            else
            {
                Deliver(r, g, createGraph, captureInputs, captured, run);
                if (r.HookRunId == run) HookEdgeDone(r, delivered: true);
            }
        }

        // 2. Run nodes whose consumers have all been processed.
        foreach (var node in discovered) if (node.Dependencies == 0) ready.Push(node);
        while (ready.Count > 0)
        {
            var node = ready.Pop();
            Tensor?[]? inputGrads = null;
            if (node.PendingGrad is { } g)
            {
                node.PendingGrad = null;
                if (captureInputs is null && node.RetainedOutput is { } retained) retained.Grad = Accumulate(retained.Grad, g, createGraph, run);
                if (captureInputs is not null)
                    for (int i = 0; i < captureInputs.Count; i++)
                        if (ReferenceEquals(captureInputs[i].GradFn, node)) captured![i] = Accumulate(captured[i], g, createGraph, run);
                if (NodeProbe is { } probe)
                {
                    long t0 = probe.Start();
                    inputGrads = node.Apply(g, retainGraph);
                    probe.Stop(node.Name, t0);
                }
                else inputGrads = node.Apply(g, retainGraph);
            }
            for (int i = 0; i < node.Edges.Length; i++)
            {
                var e = node.Edges[i];
                var gi = inputGrads?[i];
                if (e.Fn is { } next)
                {
                    if (gi is not null) Add(next, gi);
                    if (--next.Dependencies == 0) ready.Push(next);
                }
                else if (e.Leaf is { } leaf)
                {
                    if (gi is not null)
                    {
                        if (!gi.Shape.SequenceEqual(leaf.Shape))
                            throw new InvalidOperationException($"internal: {node.Name} produced a gradient of shape {gi.ShapeString} for an input of shape {leaf.ShapeString}.");
                        Deliver(leaf, gi, createGraph, captureInputs, captured, run);
                    }
                    if (leaf.HookRunId == run) HookEdgeDone(leaf, gi is not null);
                }
            }
        }
        discovered.Clear();
        workspace = work; // an exception leaves the workspace to the GC; the next run starts a fresh one
        return captured;
    }

    /// <summary>The lists one run needs, kept per thread between runs (a backward nested in a backward gets its own).</summary>
    private sealed class Workspace
    {
        public readonly List<Node> Discovered = [];
        public readonly Stack<Node> Stack = new(), Ready = new();
    }

    [ThreadStatic] private static Workspace? workspace;

    private static Workspace TakeWorkspace()
    {
        var w = workspace ?? new Workspace();
        workspace = null;
        return w;
    }

    private static int runCounter;

    private static void Visit(Node node, int run, int dependencies)
    {
        node.RunId = run;
        node.Dependencies = dependencies;
        node.PendingGrad = null;
    }

    private static void CountHookEdge(Tensor leaf, int run)
    {
        if (leaf.HookRunId != run) (leaf.HookRunId, leaf.HookEdgesPending, leaf.HookGotGradient) = (run, 0, false);
        leaf.HookEdgesPending++;
    }

    /// <summary>One edge into a hooked leaf is processed; after the last, the hooks run if any gradient arrived.</summary>
    private static void HookEdgeDone(Tensor leaf, bool delivered)
    {
        leaf.HookGotGradient |= delivered;
        if (--leaf.HookEdgesPending == 0 && leaf.HookGotGradient) leaf.RunPostAccumulateGradHooks();
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

    private static void Add(Node node, Tensor g) => node.PendingGrad = node.PendingGrad is { } old ? old + g : g;

    private static void Deliver(Tensor leaf, Tensor g, bool createGraph, IReadOnlyList<Tensor>? captureInputs, Tensor?[]? captured, int run)
    {
        if (captureInputs is null)
        {
            leaf.Grad = Accumulate(leaf.Grad, g, createGraph, run);
            return;
        }
        for (int i = 0; i < captureInputs.Count; i++)
            if (ReferenceEquals(captureInputs[i], leaf)) captured![i] = Accumulate(captured[i], g, createGraph, run);
    }

    /// <summary>
    /// Sums a new gradient into an existing one: in place when no graph is being built, else as a recorded add. A first
    /// gradient is stored as it is when it is dense and its storage has not been handed out yet, otherwise copied.
    /// </summary>
    private static Tensor Accumulate(Tensor? existing, Tensor g, bool createGraph, int run)
    {
        if (createGraph) return existing is null ? g : existing + g;
        if (existing is null)
        {
            var owned = g.IsContiguous && g.Storage.HandedOutRun != run ? g.Detach() : g.Detach().Clone();
            owned.Storage.HandedOutRun = run;
            return owned;
        }
        if (existing.RequiresGrad) return existing.Detach() + g;
        existing.Add_(g);
        return existing;
    }
}

/// <summary>A clock around each node's backward rule (the benchmark's per-node probe).</summary>
internal interface IBackwardProbe
{
    /// <summary>A start reading.</summary>
    long Start();

    /// <summary>Records the time since <paramref name="start"/> for node <paramref name="name"/>.</summary>
    void Stop(string name, long start);
}
