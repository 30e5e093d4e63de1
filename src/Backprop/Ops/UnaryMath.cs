using Backprop.Backends;

namespace Backprop;

/// <summary>Elementwise math functions, each forward next to its backward rule.</summary>
public partial class Tensor
{
    /// <summary>eˣ elementwise (<c>torch.exp</c>).</summary>
    public Tensor Exp()
    {
        var y = Map(new UnaryOp(UnaryKind.Exp), "Exp");
        return Node.Record(y, "ExpBackward", [this], g => [g * y], y);
    }

    /// <summary>Natural logarithm elementwise (<c>torch.log</c>).</summary>
    public Tensor Log() => Node.Record(Map(new UnaryOp(UnaryKind.Log), "Log"), "LogBackward", [this], g => [g / this], this);

    /// <summary>Square root elementwise (<c>torch.sqrt</c>).</summary>
    public Tensor Sqrt()
    {
        var y = Map(new UnaryOp(UnaryKind.Sqrt), "Sqrt");
        return Node.Record(y, "SqrtBackward", [this], g => [g / (y * 2)], y);
    }

    /// <summary>Absolute value elementwise (<c>torch.abs</c>); the gradient at 0 is 0.</summary>
    public Tensor Abs() => Node.Record(Map(new UnaryOp(UnaryKind.Abs), "Abs"), "AbsBackward", [this], g => [g * Sign()], this);

    /// <summary>−1, 0 or 1 by the sign of each element (<c>torch.sign</c>); its gradient is zero.</summary>
    public Tensor Sign() => Node.Record(Map(new UnaryOp(UnaryKind.Sign), "Sign"), "SignBackward", [this], g => [ZerosLike(g)]);

    /// <summary>Each element raised to a scalar power (<c>torch.pow</c>).</summary>
    public Tensor Pow(double exponent) =>
        Node.Record(Map(new UnaryOp(UnaryKind.Pow, exponent), "Pow"), "PowBackward", [this],
            g => [exponent == 0 ? ZerosLike(g) : exponent == 2 ? g * this * 2 : g * Pow(exponent - 1) * exponent], this);

    /// <summary>The Gauss error function elementwise (<c>torch.erf</c>).</summary>
    public Tensor Erf() => Node.Record(Map(new UnaryOp(UnaryKind.Erf), "Erf"), "ErfBackward", [this], g => [g * (-(this * this)).Exp() * (2 / Math.Sqrt(Math.PI))], this);

    /// <summary>
    /// Clamps each element into [min, max] (<c>torch.clamp</c>); either bound may be omitted. The gradient passes where
    /// the input lies inside the closed interval.
    /// </summary>
    public Tensor Clamp(double? min = null, double? max = null)
    {
        if (min is null && max is null) throw new ArgumentException("Clamp: at least one of min and max must be given.");
        double lo = min ?? double.NegativeInfinity, hi = max ?? double.PositiveInfinity;
        return Node.Record(Map(new UnaryOp(UnaryKind.Clamp, lo, hi), "Clamp"), "ClampBackward", [this],
            g => [g * (this >= lo) * (this <= hi)], this);
    }

    /// <summary>Applies a floating-point map to a dense copy of the data (no autograd).</summary>
    internal Tensor Map(UnaryOp op, string name)
    {
        if (!DType.IsFloatingPoint()) throw NotFloat(name, DType);
        var x = Dense();
        var y = Uninitialized(shape, DType, this);
        Backend.Of(x).Map(op, x.Layout, y.Layout);
        return y;
    }
}
