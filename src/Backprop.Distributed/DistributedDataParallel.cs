using Backprop.NN;

namespace Backprop.Distributed;

/// <summary>
/// Data-parallel training (<c>torch.nn.parallel.DistributedDataParallel</c>; Horovod's design): every rank holds a full
/// replica of <see cref="Module"/> and trains on its own part of each global batch, and the gradients are averaged over
/// the ranks during backward, so every replica takes the same optimizer step — the step one process would take on the
/// whole global batch. At construction rank 0's parameters and buffers are copied to every rank. Gradients are gathered
/// into buckets (about <c>bucketCapMb</c> MiB each, filled in reverse registration order); a post-accumulate-grad hook on
/// each parameter (<see cref="Tensor.RegisterPostAccumulateGradHook"/>) starts a bucket's all-reduce as soon as all its
/// gradients are in, while backward goes on; when the last bucket is done the averages are written back into each
/// <see cref="Tensor.Grad"/>, before <see cref="Tensor.Backward(Tensor?, bool, bool)"/> returns. Every parameter that
/// requires grad must receive a gradient in each synchronised backward (PyTorch's default,
/// <c>find_unused_parameters=False</c>); otherwise the next forward throws.
/// </summary>
public sealed class DistributedDataParallel : Module
{
    private readonly IProcessGroup group;
    private readonly GradBucket[] buckets;
    private readonly Dictionary<Parameter, (GradBucket Bucket, int Index)> owner = new(ReferenceEqualityComparer.Instance);
    private readonly bool[] ready;
    private readonly bool broadcastBuffers;
    private int nextBucket;
    private bool reductionStarted;
    private bool syncThisBackward = true;

    /// <summary>
    /// Wraps <paramref name="module"/> (<c>DistributedDataParallel(module, process_group=..., bucket_cap_mb=25,
    /// broadcast_buffers=True)</c>). Every rank must construct it at the same point with the same architecture.
    /// </summary>
    public DistributedDataParallel(Module module, IProcessGroup processGroup, double bucketCapMb = 25, bool broadcastBuffers = true)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(processGroup);
        if (!(bucketCapMb > 0)) throw new ArgumentOutOfRangeException(nameof(bucketCapMb), bucketCapMb, "DistributedDataParallel: bucketCapMb must be positive.");
        Module = module;
        group = processGroup;
        this.broadcastBuffers = broadcastBuffers;
        CheckSameParameterShapes();
        foreach (var p in module.Parameters()) TensorData.Broadcast(group, p);
        foreach (var (_, b) in module.NamedBuffers()) TensorData.Broadcast(group, b);

        var trainable = module.Parameters().Where(p => p.RequiresGrad).ToList();
        buckets = [.. GradBucket.Assign(trainable, (long)(bucketCapMb * 1024 * 1024)).Select(GradBucket.Create)];
        ready = new bool[trainable.Count];
        int index = 0;
        foreach (var bucket in buckets)
            foreach (var p in bucket.Parameters)
            {
                owner[p] = (bucket, index++);
                p.RegisterPostAccumulateGradHook(OnGradientReady);
            }
    }

    /// <summary>The wrapped model (<c>ddp.module</c>); its state dict entries appear under <c>module.</c>, as in PyTorch.</summary>
    public Module Module { get; }

    /// <summary>The group the gradients are averaged over.</summary>
    public IProcessGroup ProcessGroup => group;

    /// <summary>Whether backward passes after the next forward average gradients (<c>ddp.require_backward_grad_sync</c>).</summary>
    public bool RequireBackwardGradSync { get; private set; } = true;

    /// <summary>Bytes per bucket in the order they are reduced (PyTorch's <c>bucket_cap_mb</c> buckets; diagnostics).</summary>
    public IReadOnlyList<long> BucketBytes => [.. buckets.Select(b => b.Bytes)];

    /// <summary>
    /// Runs the wrapped module (<c>ddp(input)</c>). In training mode with <c>broadcastBuffers</c> rank 0's buffers are
    /// copied to every rank first, as in PyTorch. Throws if the previous synchronised backward left gradients unreduced.
    /// </summary>
    public override Tensor Forward(Tensor input)
    {
        if (reductionStarted)
            throw new InvalidOperationException(
                "DistributedDataParallel: expected to have finished reduction in the prior iteration before starting a new one: some parameters " +
                $"received no gradient in the last backward ({string.Join(", ", Unready())}). Every parameter that requires grad must be used to " +
                "compute the loss on every rank; freeze the others (RequiresGrad = false) before wrapping the model.");
        syncThisBackward = RequireBackwardGradSync;
        if (broadcastBuffers && IsTraining)
            foreach (var (_, b) in Module.NamedBuffers()) TensorData.Broadcast(group, b);
        return Module.Forward(input);
    }

    /// <summary>
    /// Until disposed, forward passes are followed by backward passes that only accumulate local gradients
    /// (<c>with ddp.no_sync():</c>), for gradient accumulation: the first backward after a forward outside the scope
    /// averages everything accumulated.
    /// </summary>
    public IDisposable NoSync()
    {
        bool previous = RequireBackwardGradSync;
        RequireBackwardGradSync = false;
        return new RemovableHandle(() => RequireBackwardGradSync = previous);
    }

    private void OnGradientReady(Tensor t)
    {
        if (!syncThisBackward) return;
        var (bucket, index) = owner[(Parameter)t];
        if (ready[index])
            throw new InvalidOperationException(
                $"DistributedDataParallel: a parameter of shape {t.ShapeString} received a gradient twice in one synchronised backward. Call " +
                "Forward before each Backward, and use NoSync() for backward passes that should only accumulate.");
        ready[index] = true;
        reductionStarted = true;
        if (--bucket.Pending > 0) return;
        while (nextBucket < buckets.Length && buckets[nextBucket].Pending == 0) buckets[nextBucket++].Launch(group, group.Size);
        if (nextBucket < buckets.Length) return;
        foreach (var b in buckets)
        {
            b.Finish();
            b.Pending = b.Parameters.Length;
        }
        Array.Clear(ready);
        nextBucket = 0;
        reductionStarted = false;
    }

    private IEnumerable<string> Unready()
    {
        foreach (var (name, p) in Module.NamedParameters())
            if (owner.TryGetValue(p, out var o) && !ready[o.Index]) yield return name;
    }

    /// <summary>Checks that every rank wraps a model with the same parameter shapes (a mismatch would corrupt the broadcasts).</summary>
    private void CheckSameParameterShapes()
    {
        var shapes = Module.Parameters().SelectMany(p => p.Shape.ToArray().Prepend(-1 - (int)p.DType)).Select(v => (long)v).ToList();
        long[] mine = [shapes.Count, Checksum(shapes)];
        var all = new long[2 * group.Size];
        group.AllGather<long>(mine, all);
        for (int r = 0; r < group.Size; r++)
            if (all[2 * r] != mine[0] || all[2 * r + 1] != mine[1])
                throw new InvalidOperationException(
                    $"DistributedDataParallel: rank {r}'s model has different parameter shapes or dtypes from rank {group.Rank}'s; every rank must build the same model.");
    }

    private static long Checksum(List<long> values)
    {
        long h = 1469598103934665603;
        foreach (var v in values) h = (h ^ v) * 1099511628211;
        return h;
    }
}
