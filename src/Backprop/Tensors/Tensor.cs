namespace Backprop;

/// <summary>
/// An n-dimensional array with reverse-mode automatic differentiation: the counterpart of <c>torch.Tensor</c>.
/// A tensor is a view (shape, strides, offset) over a shared <see cref="Storage"/>; its operations live in
/// the op-family files under <c>Ops/</c>, each next to its backward rule.
/// </summary>
public partial class Tensor
{
    // Not readonly: Module.To(dtype) swaps a Parameter's data in place (PyTorch's `param.data = ...`), see SetData.
    internal Storage Storage;
    internal int[] shape;
    internal int[] strides;
    internal int Offset;
    private bool requiresGrad;

    internal Tensor(Storage storage, int[] shape, int[] strides, int offset, DType dtype)
    {
        Storage = storage;
        this.shape = shape;
        this.strides = strides;
        Offset = offset;
        DType = dtype;
        Numel = ShapeUtil.Numel(shape);
    }

    /// <summary>
    /// Makes this tensor a view of <paramref name="source"/>'s data (PyTorch's <c>tensor.data = source</c>): the object
    /// stays the same, so optimizers and modules holding it see the new values, dtype and device.
    /// </summary>
    internal void SetData(Tensor source)
    {
        if (source.Numel != Numel)
            throw new InvalidOperationException($"internal: SetData with {source.Numel} elements on a tensor of {Numel}");
        Storage = source.Storage;
        shape = source.shape;
        strides = source.strides;
        Offset = source.Offset;
        DType = source.DType;
    }

    /// <summary>Allocates a zero-filled contiguous tensor on the default device.</summary>
    internal static Tensor Empty(ReadOnlySpan<int> shape, DType dtype) => Empty(shape, dtype, Backends.Allocators.Default);

    /// <summary>Allocates a zero-filled contiguous tensor on <paramref name="like"/>'s device.</summary>
    internal static Tensor Empty(ReadOnlySpan<int> shape, DType dtype, Tensor like) => Empty(shape, dtype, like.Storage.Allocator);

    /// <summary>Allocates a zero-filled contiguous tensor from <paramref name="allocator"/>.</summary>
    internal static Tensor Empty(ReadOnlySpan<int> shape, DType dtype, Backends.Allocator allocator)
    {
        var s = shape.ToArray();
        return new Tensor(Storage.Allocate(allocator, dtype, ShapeUtil.Numel(s)), s, ShapeUtil.ContiguousStrides(s), 0, dtype);
    }

    /// <summary>Allocates a contiguous tensor without clearing it on the default device: only for outputs a kernel overwrites completely.</summary>
    internal static Tensor Uninitialized(ReadOnlySpan<int> shape, DType dtype) => Uninitialized(shape, dtype, Backends.Allocators.Default);

    /// <summary>Allocates a contiguous tensor without clearing it on <paramref name="like"/>'s device.</summary>
    internal static Tensor Uninitialized(ReadOnlySpan<int> shape, DType dtype, Tensor like) => Uninitialized(shape, dtype, like.Storage.Allocator);

    /// <summary>Allocates a contiguous tensor without clearing it from <paramref name="allocator"/>.</summary>
    internal static Tensor Uninitialized(ReadOnlySpan<int> shape, DType dtype, Backends.Allocator allocator)
    {
        var s = shape.ToArray();
        return new Tensor(Storage.Allocate(allocator, dtype, ShapeUtil.Numel(s), uninitialized: true), s, ShapeUtil.ContiguousStrides(s), 0, dtype);
    }

    /// <summary>
    /// A contiguous tensor over <paramref name="data"/> (float[], double[] or long[] matching <paramref name="dtype"/>, an
    /// array this library owns): on the CPU the array itself, without copying; on another default device an upload.
    /// </summary>
    internal static Tensor Wrap(Array data, ReadOnlySpan<int> shape, DType dtype)
    {
        var s = shape.ToArray();
        var allocator = Backends.Allocators.Default;
        if (allocator == Backends.Allocators.Cpu) return new Tensor(new Storage(allocator, data), s, ShapeUtil.ContiguousStrides(s), 0, dtype);
        var t = Uninitialized(s, dtype, allocator);
        t.Upload(data);
        return t;
    }

    /// <summary>A new tensor sharing this one's storage (a view); <c>torch.as_strided</c> internally.</summary>
    internal Tensor AsStrided(int[] newShape, int[] newStrides, int newOffset) => new(Storage, newShape, newStrides, newOffset, DType);

    /// <summary>Element type (<c>tensor.dtype</c>).</summary>
    public DType DType { get; private set; }

    /// <summary>Size of each dimension (<c>tensor.shape</c>).</summary>
    public ReadOnlySpan<int> Shape => shape;

    /// <summary>Distance in elements between neighbours along each dimension (<c>tensor.stride()</c>).</summary>
    public ReadOnlySpan<int> Strides => strides;

    /// <summary>Number of dimensions (<c>tensor.dim()</c>).</summary>
    public int Rank => shape.Length;

    /// <summary>Number of elements (<c>tensor.numel()</c>).</summary>
    public int Numel { get; }

    /// <summary>Size of one dimension, negative counting from the end (<c>tensor.size(dim)</c>).</summary>
    public int Size(int dim) => shape[ShapeUtil.NormalizeDim(dim, Rank, "Size")];

    /// <summary>True when the elements are laid out row-major without gaps (<c>tensor.is_contiguous()</c>).</summary>
    public bool IsContiguous
    {
        get
        {
            int expected = 1;
            for (int i = shape.Length - 1; i >= 0; i--)
            {
                if (shape[i] != 1 && strides[i] != expected) return false;
                expected *= shape[i];
            }
            return true;
        }
    }

    /// <summary>Times this tensor's storage was modified in place (<c>tensor._version</c>).</summary>
    public int Version => Storage.Version;

    /// <summary>
    /// Whether autograd records operations on this tensor (<c>tensor.requires_grad</c>). Settable on leaves only,
    /// and only for floating-point tensors.
    /// </summary>
    public bool RequiresGrad
    {
        get => requiresGrad || GradFn is not null;
        set
        {
            if (GradFn is not null)
                throw new InvalidOperationException(
                    $"RequiresGrad can only be changed on leaf tensors; this one was produced by {GradFn.Name}. " +
                    "Use Detach() to get a leaf that shares its data.");
            if (value && !DType.IsFloatingPoint())
                throw new InvalidOperationException($"Only floating-point tensors can require gradients, this one is {DType}.");
            requiresGrad = value;
        }
    }

    /// <summary>Sets <see cref="RequiresGrad"/> and returns this tensor (<c>tensor.requires_grad_()</c>).</summary>
    public Tensor RequiresGrad_(bool value = true)
    {
        RequiresGrad = value;
        return this;
    }

    /// <summary>The node that created this tensor, or null for a leaf (<c>tensor.grad_fn</c>).</summary>
    public Node? GradFn { get; internal set; }

    /// <summary>True for tensors created by the user rather than by a recorded op (<c>tensor.is_leaf</c>).</summary>
    public bool IsLeaf => GradFn is null;

    /// <summary>
    /// Gradient accumulated by <see cref="Backward(Tensor?, bool, bool)"/> (<c>tensor.grad</c>): set on leaves that
    /// require grad and on non-leaves that called <see cref="RetainGrad"/>. Settable, e.g. to null.
    /// </summary>
    public Tensor? Grad
    {
        get => grad;
        set
        {
            value?.DetachFromScope();
            grad = value;
        }
    }

    private Tensor? grad;

    /// <summary>Keeps the gradient of this non-leaf tensor in <see cref="Grad"/> during backward (<c>tensor.retain_grad()</c>).</summary>
    public void RetainGrad()
    {
        if (GradFn is null)
        {
            if (!RequiresGrad) throw new InvalidOperationException("RetainGrad() on a tensor that does not require grad.");
            return; // leaves keep their grad anyway
        }
        GradFn.RetainedOutput = this;
    }

    /// <summary>
    /// Runs backpropagation from this tensor (<c>tensor.backward()</c>): accumulates d(this)/d(leaf) into each leaf's
    /// <see cref="Grad"/>. <paramref name="gradient"/> is required unless this tensor has one element.
    /// </summary>
    public void Backward(Tensor? gradient = null, bool retainGraph = false, bool createGraph = false) =>
        Engine.Backward(this, gradient, retainGraph, createGraph);

    /// <summary>A new leaf that shares this tensor's data but is cut from the graph (<c>tensor.detach()</c>).</summary>
    public Tensor Detach() => new(Storage, shape, strides, Offset, DType);

    /// <summary>
    /// Keeps this tensor's buffer alive past the innermost <see cref="TensorScope"/> it belongs to by handing it to the
    /// enclosing scope, or to the garbage collector when there is none (TorchSharp's <c>MoveToOuterDisposeScope</c>).
    /// Views share one buffer, so this keeps every view of it. Returns this tensor.
    /// </summary>
    public Tensor MoveToOuterScope()
    {
        Storage.Scope?.MoveOut(Storage);
        return this;
    }

    /// <summary>
    /// Takes this tensor's buffer out of every <see cref="TensorScope"/>: the garbage collector frees it, as for a tensor
    /// created outside any scope (TorchSharp's <c>DetachFromDisposeScope</c>). Returns this tensor.
    /// </summary>
    public Tensor DetachFromScope()
    {
        Storage.Scope = null;
        return this;
    }

    internal void BumpVersion() => Storage.Version++;

    /// <summary>The flat storage index of the element at a multi-index.</summary>
    internal int StorageIndex(ReadOnlySpan<int> index)
    {
        int off = Offset;
        for (int i = 0; i < index.Length; i++) off += index[i] * strides[i];
        return off;
    }

    internal static InvalidOperationException NotFloat(string op, DType dtype) =>
        new($"{op} is defined for floating-point tensors, got {dtype}; convert with .To(DType.Float32) first.");

    internal string ShapeString => ShapeUtil.Format(shape);
}
