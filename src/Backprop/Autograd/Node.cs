namespace Backprop;

/// <summary>
/// A recorded operation in the autograd graph (<c>tensor.grad_fn</c>, e.g. <c>MulBackward</c>). It holds the edges
/// to the nodes (or leaves) that produced its inputs and the op's backward rule, a closure written next to the op's
/// forward in <c>Ops/</c>. Saved tensors are released after backward unless the graph is retained.
/// </summary>
public sealed class Node
{
    private Func<Tensor, Tensor?[]>? backward;
    private (Tensor Tensor, int Version)[] saved;
    private readonly bool savesTensors;
    internal readonly Edge[] Edges;
    internal readonly string? CreationTrace;
    internal Tensor? RetainedOutput;

    // Bookkeeping of the backward run that last visited this node (see Engine): kept on the node itself so the
    // engine needs no hash tables, whose first hash of each fresh object is costly.
    internal int RunId;
    internal int Dependencies;
    internal Tensor? PendingGrad;

    private Node(string name, Edge[] edges, Func<Tensor, Tensor?[]> backward, Tensor[] saved)
    {
        Name = name;
        Edges = edges;
        this.backward = backward;
        savesTensors = saved.Length > 0;
        this.saved = new (Tensor, int)[saved.Length];
        for (int i = 0; i < saved.Length; i++) this.saved[i] = (saved[i], saved[i].Version);
        if (Autograd.IsAnomalyEnabled) CreationTrace = Environment.StackTrace;
    }

    /// <summary>The op's backward name as PyTorch prints it, e.g. <c>MeanBackward</c> (<c>grad_fn.name()</c>).</summary>
    public string Name { get; }

    /// <summary>The nodes this one sends gradients to, one per input; null for leaves and inputs without grad (<c>grad_fn.next_functions</c>).</summary>
    public IReadOnlyList<Node?> NextFunctions => Array.ConvertAll(Edges, e => e.Fn);

    /// <inheritdoc/>
    public override string ToString() => $"<{Name}>";

    /// <summary>
    /// Attaches a node to <paramref name="output"/> when grad mode is on and any input requires grad. Every tensor the
    /// <paramref name="backward"/> closure reads must be listed in <paramref name="saved"/>, so in-place changes to it are detected.
    /// </summary>
    internal static Tensor Record(Tensor output, string name, ReadOnlySpan<Tensor> inputs, Func<Tensor, Tensor?[]> backward, params Tensor[] saved)
    {
        if (!Autograd.IsGradEnabled) return output;
        bool any = false;
        foreach (var t in inputs) any |= t.RequiresGrad;
        if (!any) return output;
        var edges = new Edge[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            var t = inputs[i];
            edges[i] = t.GradFn is not null ? new Edge(t.GradFn, null) : t.RequiresGrad ? new Edge(null, t) : default;
        }
        output.GradFn = new Node(name, edges, backward, saved);
        return output;
    }

    /// <summary>
    /// Records an op of one tensor and a constant (a scalar operand): two edges as in PyTorch, the constant's leading
    /// nowhere; <paramref name="backward"/> returns two gradients, the second null. Saves no tensors.
    /// </summary>
    internal static Tensor RecordWithConstant(Tensor output, string name, Tensor input, Func<Tensor, Tensor?[]> backward)
    {
        if (!Autograd.IsGradEnabled || !input.RequiresGrad) return output;
        var edges = new Edge[2];
        edges[0] = input.GradFn is not null ? new Edge(input.GradFn, null) : new Edge(null, input);
        output.GradFn = new Node(name, edges, backward, []);
        return output;
    }

    /// <summary>Runs the backward rule for the gradient of this node's output.</summary>
    internal Tensor?[] Apply(Tensor gradOutput, bool retainGraph)
    {
        if (backward is null)
            throw new InvalidOperationException(
                $"Trying to backward through the graph a second time: the tensors {Name} saved for backward were freed by the " +
                "first Backward()/Autograd.Grad(). Pass retainGraph: true to the first call if you need to backward through it again.");
        foreach (var (t, version) in saved)
            if (t.Version != version)
                throw new InvalidOperationException(
                    $"One of the tensors needed for gradient computation has been modified by an in-place operation: a tensor of shape " +
                    $"{t.ShapeString} saved by {Name} is at version {t.Version}; expected version {version}. " +
                    "Clone it before modifying it, or modify it only after calling Backward().");
        var grads = backward(gradOutput);
        if (grads.Length != Edges.Length) throw new InvalidOperationException($"internal: {Name} returned {grads.Length} gradients for {Edges.Length} inputs.");
        if (Autograd.IsAnomalyEnabled)
            for (int i = 0; i < grads.Length; i++)
                if (grads[i] is { } g && g.HasNonFinite())
                    throw new InvalidOperationException(
                        $"Function '{Name}' returned nan or inf values in its {i}th output (shape {g.ShapeString}). " +
                        $"The forward op that created this node was called at:{Environment.NewLine}{CreationTrace ?? "(not recorded: the forward ran outside DetectAnomaly())"}");
        if (!retainGraph && savesTensors)
        {
            backward = null;
            saved = [];
        }
        return grads;
    }
}

/// <summary>Where a node sends the gradient for one of its inputs: another node, a leaf tensor, or nowhere.</summary>
internal readonly record struct Edge(Node? Fn, Tensor? Leaf);
