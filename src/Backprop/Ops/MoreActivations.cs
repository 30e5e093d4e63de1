namespace Backprop;

/// <summary>Activations added for issue #11 that need a rule of their own; the rest are compositions in <c>Functional</c>.</summary>
public partial class Tensor
{
    /// <summary>
    /// Clamps into [<paramref name="minVal"/>, <paramref name="maxVal"/>] (<c>torch.nn.functional.hardtanh</c>). Unlike
    /// <see cref="Clamp(double?, double?)"/>, the gradient passes only strictly inside the interval, as PyTorch's does.
    /// </summary>
    public Tensor Hardtanh(double minVal = -1, double maxVal = 1)
    {
        if (minVal > maxVal) throw new ArgumentException($"Hardtanh: minVal ({minVal}) must not exceed maxVal ({maxVal}).");
        return Node.Record(NewKernelsBridge.Unary(this, new Backends.UnaryOp(Backends.UnaryKind.Clamp, minVal, maxVal), "Hardtanh"), "HardtanhBackward", [this],
            g => [g * (this > minVal) * (this < maxVal)], this);
    }
}
