namespace Backprop.NN;

public abstract partial class Module
{
    // Bumped by every RegisterModule/RegisterParameter in the process: a cached parameter list built before it is stale.
    private static int structureVersion;

    private Parameter[]? cachedParameters;
    private object?[]? cachedFieldValues;
    private int cachedVersion;

    /// <summary>
    /// The de-duplicated parameters, built by walking the tree once and reused while nothing changed: the registrations
    /// (a global version) and the values of every module's parameter and child fields (compared by reference, which
    /// reads the fields without walking the type's reflection data again).
    /// </summary>
    private Parameter[] ParameterList()
    {
        int version = Volatile.Read(ref structureVersion);
        if (cachedParameters is { } cached && cachedVersion == version && cachedFieldValues is { } snapshot)
        {
            int i = 0;
            if (FieldsUnchanged(snapshot, ref i) && i == snapshot.Length) return cached;
        }
        var list = NamedParameters().Select(p => p.Parameter).ToArray();
        var values = new List<object?>();
        CollectFieldValues(values);
        cachedFieldValues = [.. values];
        cachedVersion = version;
        return cachedParameters = list;
    }

    private void CollectFieldValues(List<object?> into)
    {
        foreach (var f in ModuleFields.Of(GetType())) into.Add(f.GetValue(this));
        foreach (var (_, child) in NamedChildren()) child.CollectFieldValues(into);
    }

    private bool FieldsUnchanged(object?[] snapshot, ref int i)
    {
        foreach (var f in ModuleFields.Of(GetType()))
            if (i >= snapshot.Length || !ReferenceEquals(f.GetValue(this), snapshot[i++])) return false;
        foreach (var (_, child) in NamedChildren())
            if (!child.FieldsUnchanged(snapshot, ref i)) return false;
        return true;
    }

    /// <summary>
    /// Moves every parameter, its gradient and every registered buffer to <paramref name="device"/>, in place
    /// (<c>module.to(device)</c>): the <see cref="Parameter"/> objects stay the same, so an optimizer built before the move
    /// still updates them. Returns this module. <c>Device.Cuda(n)</c> is experimental (see <see cref="Backprop.Cuda"/>) and
    /// throws saying why when this machine has no such device.
    /// </summary>
    public Module To(Device device) => Apply(t => t.To(device));

    /// <summary>Moves the module's tensors to <paramref name="target"/>'s device (see <see cref="To(Device)"/>).</summary>
    internal Module To(Backends.Allocator target) => Apply(t => t.To(target));

    /// <summary>Parses <paramref name="device"/> (<c>"cpu"</c>, <c>"cuda:0"</c>) and moves there (<c>module.to("cuda:0")</c>).</summary>
    public Module To(string device) => To(Device.Parse(device));

    /// <summary>
    /// Converts every floating-point parameter, its gradient and every floating-point buffer to the floating-point
    /// <paramref name="dtype"/>, in place (<c>module.to(dtype)</c>, e.g. <c>model.double()</c>); integer buffers are left as
    /// they are, as in PyTorch. The <see cref="Parameter"/> objects stay the same. Returns this module.
    /// </summary>
    public Module To(DType dtype)
    {
        if (!dtype.IsFloatingPoint())
            throw new ArgumentException($"Module.To({dtype}): modules can only be converted to a floating-point dtype (PyTorch: nn.Module.to only accepts floating point or complex dtypes).");
        return Apply(t => t.DType.IsFloatingPoint() ? t.To(dtype) : t);
    }

    private Module Apply(Func<Tensor, Tensor> convert)
    {
        using (Autograd.NoGrad())
        {
            foreach (var p in Parameters())
            {
                var grad = p.Grad;
                p.SetData(convert(p.Detach()));
                p.DetachFromScope();
                if (grad is not null) p.Grad = convert(grad);
            }
            foreach (var m in Modules())
                foreach (var (_, buffer) in m.registeredBuffers)
                {
                    buffer.SetData(convert(buffer.Detach()));
                    buffer.DetachFromScope();
                }
        }
        return this;
    }
}
