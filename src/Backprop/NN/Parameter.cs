namespace Backprop.NN;

/// <summary>
/// A tensor that is a module's learnable weight (<c>torch.nn.Parameter</c>): a leaf that requires grad and is found
/// by <see cref="Module.Parameters"/>.
/// </summary>
public sealed class Parameter : Tensor
{
    /// <summary>Wraps <paramref name="data"/>'s storage (no copy) as a parameter.</summary>
    public Parameter(Tensor data, bool requiresGrad = true)
        : base(data.Storage, data.shape, data.strides, data.Offset, data.DType)
    {
        RequiresGrad = requiresGrad;
        DetachFromScope();
    }
}
