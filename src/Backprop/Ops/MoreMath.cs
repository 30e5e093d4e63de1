using Backprop.Backends;
using static Backprop.NewKernelsBridge;

namespace Backprop;

/// <summary>More elementwise math (issue #11), each forward next to its backward rule.</summary>
public partial class Tensor
{
    /// <summary>log(1 + x), accurate near 0 (<c>torch.log1p</c>).</summary>
    public Tensor Log1p() => Node.Record(Unary(this, new UnaryOp(UnaryKind.Log1p), "Log1p"), "Log1pBackward", [this], g => [g / (this + 1)], this);

    /// <summary>eˣ − 1, accurate near 0 (<c>torch.expm1</c>).</summary>
    public Tensor Expm1()
    {
        var y = Unary(this, new UnaryOp(UnaryKind.Expm1), "Expm1");
        return Node.Record(y, "Expm1Backward", [this], g => [g * (y + 1)], y);
    }

    /// <summary>Sine elementwise (<c>torch.sin</c>).</summary>
    public Tensor Sin() => Node.Record(Unary(this, new UnaryOp(UnaryKind.Sin), "Sin"), "SinBackward", [this], g => [g * Cos()], this);

    /// <summary>Cosine elementwise (<c>torch.cos</c>).</summary>
    public Tensor Cos() => Node.Record(Unary(this, new UnaryOp(UnaryKind.Cos), "Cos"), "CosBackward", [this], g => [-g * Sin()], this);

    /// <summary>Largest integer ≤ x (<c>torch.floor</c>); its gradient is zero. Int64 tensors are returned as a copy.</summary>
    public Tensor Floor() => Rounding(new UnaryOp(UnaryKind.Floor), "Floor");

    /// <summary>Smallest integer ≥ x (<c>torch.ceil</c>); its gradient is zero.</summary>
    public Tensor Ceil() => Rounding(new UnaryOp(UnaryKind.Ceil), "Ceil");

    /// <summary>Nearest integer, halves to even (<c>torch.round</c>: 0.5 → 0, 1.5 → 2, 2.5 → 2); its gradient is zero.</summary>
    public Tensor Round() => Rounding(new UnaryOp(UnaryKind.Round), "Round");

    private Tensor Rounding(UnaryOp op, string name) =>
        DType.IsFloatingPoint()
            ? Node.Record(Unary(this, op, name), name + "Backward", [this], g => [ZerosLike(g)])
            : Detach().Clone();

    /// <summary>1/x elementwise (<c>torch.reciprocal</c>); Int64 input gives Float32.</summary>
    public Tensor Reciprocal()
    {
        var x = DType.IsFloatingPoint() ? this : To(DType.Float32);
        var y = Unary(x, new UnaryOp(UnaryKind.Reciprocal), "Reciprocal");
        return Node.Record(y, "ReciprocalBackward", [x], g => [-g * y * y], y);
    }

    /// <summary>1/√x elementwise (<c>torch.rsqrt</c>).</summary>
    public Tensor Rsqrt()
    {
        var y = Unary(this, new UnaryOp(UnaryKind.Rsqrt), "Rsqrt");
        return Node.Record(y, "RsqrtBackward", [this], g => [g * y * y * y * -0.5], y);
    }

    /// <summary>
    /// xʸ elementwise with broadcasting (<c>torch.pow(input, exponent)</c> with a tensor exponent). Gradients follow
    /// PyTorch: the base's is 0 where the exponent is 0; the exponent's is xʸ·ln x, and 0 where x = 0 and y ≥ 0.
    /// </summary>
    public Tensor Pow(Tensor exponent)
    {
        var a = this; var b = exponent;
        var y = NewKernelsBridge.Pow(a, b);
        return Node.Record(y, "PowBackward", [a, b], g =>
        [
            a.RequiresGrad ? Where(b.Eq(ScalarLike(0, b)), ZerosLike(g), g * b * a.Pow(b - 1)).SumTo(a.shape, a.DType) : null,
            b.RequiresGrad ? Where(a.Eq(ScalarLike(0, a)) * b.Ge(ScalarLike(0, b)), ZerosLike(g), g * a.Pow(b) * a.Log()).SumTo(b.shape, b.DType) : null,
        ], a, b);
    }

    /// <summary>A scalar base raised to each element (<c>torch.pow(self: float, exponent: Tensor)</c>).</summary>
    public static Tensor Pow(double baseValue, Tensor exponent) =>
        Full([], baseValue, exponent.DType.IsFloatingPoint() ? exponent.DType : DType.Float32, exponent).Pow(exponent);

    /// <summary>
    /// Clamps each element into [min, max] given as tensors that broadcast against it (<c>torch.clamp(x, min_tensor,
    /// max_tensor)</c>): max(x, min) then min(·, max), so min &gt; max gives max, as in PyTorch. Gradients: x where it lies
    /// inside the closed interval, min where x is below it, max where the result was cut at it.
    /// </summary>
    public Tensor Clamp(Tensor? min = null, Tensor? max = null)
    {
        if (min is null && max is null) throw new ArgumentException("Clamp: at least one of min and max must be given.");
        var y = this;
        if (min is not null) y = Where(y.Lt(min), min, y);
        if (max is not null) y = Where(y.Gt(max), max, y);
        return y;
    }
}
