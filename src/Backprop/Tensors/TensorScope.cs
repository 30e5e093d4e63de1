namespace Backprop;

/// <summary>
/// Recycles the buffers of the tensors created inside it, so a training loop stops feeding the garbage collector:
/// the counterpart of TorchSharp's <c>torch.NewDisposeScope()</c> (PyTorch frees a tensor's memory by reference
/// counting, which .NET does not have). While the scope is the innermost one on its thread, every tensor buffer an op
/// allocates is registered with it; <see cref="Dispose"/> hands them all to the thread's buffer pool, where the next
/// step's ops find buffers of the same sizes.
/// <code>
/// foreach (var (x, y) in loader)
/// {
///     using var scope = new TensorScope();
///     optimizer.ZeroGrad();
///     var loss = lossFn.Forward(model.Forward(x), y);
///     loss.Backward();
///     optimizer.Step();
///     total += loss.Item();          // read values inside the scope
/// }
/// </code>
/// A tensor whose buffer was recycled throws <see cref="ObjectDisposedException"/> on any use: nothing ever reads a
/// buffer that another tensor now owns. Long-lived state is kept automatically — parameters, registered buffers,
/// <see cref="Tensor.Grad"/> and optimizer state are detached from the scope when they are stored — and other tensors
/// survive with <see cref="Tensor.MoveToOuterScope"/> or <see cref="Tensor.DetachFromScope"/>. Buffers under 1 KiB are
/// not pooled (a fresh allocation is cheaper than the lookup), so such tiny tensors stay valid; do not rely on it.
/// Scopes nest, belong to the thread that created them, and must be disposed on it.
/// </summary>
public sealed class TensorScope : IDisposable
{
    [ThreadStatic] private static TensorScope? current;

    private readonly TensorScope? outer;
    private readonly List<Storage> owned = [];
    private readonly bool onStack;
    private bool disposed;

    /// <summary>Opens a scope; it becomes the innermost one on the calling thread until disposed.</summary>
    public TensorScope()
    {
        outer = current;
        current = this;
        onStack = true;
    }

    private TensorScope(bool onStack) => this.onStack = onStack;

    /// <summary>
    /// A scope that is not on the thread's stack: code allocates into it only inside <see cref="Activate"/>, and
    /// <see cref="Recycle"/> releases what it holds (the DataLoader's batches). Its tensors moved out go to the GC.
    /// </summary>
    internal static TensorScope Detached() => new(onStack: false);

    /// <summary>Makes this detached scope the current one until the returned value is disposed.</summary>
    internal Activation Activate()
    {
        var previous = current;
        current = this;
        return new Activation(previous);
    }

    /// <summary>Restores the scope that was current before <see cref="Activate"/>.</summary>
    internal readonly struct Activation(TensorScope? previous) : IDisposable
    {
        public void Dispose() => current = previous;
    }

    /// <summary>Releases every buffer this scope holds; the scope stays usable.</summary>
    internal void Recycle()
    {
        foreach (var storage in owned)
            if (storage.Scope == this) storage.Release();
        owned.Clear();
    }

    /// <summary>The innermost open scope on the calling thread, or null.</summary>
    internal static TensorScope? Current => current;

    /// <summary>Bytes of recycled buffers the calling thread's pool holds, ready for the next scope's tensors.</summary>
    public static long PooledBytes => BufferPool.RetainedBytes;

    /// <summary>Drops the calling thread's recycled buffers so the GC can reclaim them (e.g. after training).</summary>
    public static void ClearPool() => BufferPool.Clear();

    /// <summary>Buffers this scope will recycle when it ends (tensors that share a buffer count once).</summary>
    public int Count
    {
        get
        {
            int n = 0;
            foreach (var s in owned) if (s.Scope == this) n++;
            return n;
        }
    }

    internal void Register(Storage storage)
    {
        storage.Scope = this;
        owned.Add(storage);
    }

    /// <summary>Moves a buffer to this scope's enclosing scope, or out of all scopes when there is none.</summary>
    internal void MoveOut(Storage storage)
    {
        if (outer is { disposed: false }) outer.Register(storage);
        else storage.Scope = null;
    }

    /// <summary>
    /// Ends the scope: recycles the buffer of every tensor created in it and not moved out. Inner scopes still open
    /// are ended first. Throws when called on a thread where this scope is not open.
    /// </summary>
    public void Dispose()
    {
        if (disposed) return;
        if (!onStack)
        {
            disposed = true;
            Recycle();
            return;
        }
        var scope = current;
        while (scope is not null && scope != this) scope = scope.outer;
        if (scope is null)
            throw new InvalidOperationException(
                "TensorScope.Dispose() was called on a thread where this scope is not open. A scope belongs to the thread that " +
                "created it; create and dispose it on the same thread (not across an await that may resume elsewhere).");
        while (current != this) current!.Dispose();
        disposed = true;
        current = outer;
        Recycle();
    }
}
