namespace Backprop.Backends;

/// <summary>Finds the backend of an op's operands, after checking that they share one device (PyTorch's rule).</summary>
internal static class Backend
{
    /// <summary>The backend owning <paramref name="t"/>'s storage.</summary>
    public static IBackend Of(Tensor t) => t.Storage.Backend;

    /// <summary>The backend of two operands; throws PyTorch's "same device" error when they differ.</summary>
    public static IBackend Of(string op, Tensor a, Tensor b)
    {
        Device.CheckSame(a.Device, b.Device, op);
        return a.Storage.Backend;
    }

    /// <summary>The backend of several operands; throws PyTorch's "same device" error when any two differ.</summary>
    public static IBackend Of(string op, params ReadOnlySpan<Tensor> operands)
    {
        var first = operands[0];
        for (int i = 1; i < operands.Length; i++) Device.CheckSame(first.Device, operands[i].Device, op);
        return first.Storage.Backend;
    }
}
