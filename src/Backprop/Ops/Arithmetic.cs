using Backprop.Backends;

namespace Backprop;

/// <summary>Broadcasting arithmetic (+ − × ÷), each forward next to its backward rule.</summary>
public partial class Tensor
{
    /// <summary>Elementwise sum with broadcasting (<c>torch.add</c>).</summary>
    public static Tensor operator +(Tensor a, Tensor b)
    {
        int[] sa = a.shape, sb = b.shape; DType da = a.DType, db = b.DType;
        return Node.Record(Binary(BinaryKind.Add, a, b, "Add"), "AddBackward", [a, b], g => [g.SumTo(sa, da), g.SumTo(sb, db)]);
    }

    /// <summary>Elementwise difference with broadcasting (<c>torch.sub</c>).</summary>
    public static Tensor operator -(Tensor a, Tensor b)
    {
        int[] sa = a.shape, sb = b.shape; DType da = a.DType, db = b.DType;
        return Node.Record(Binary(BinaryKind.Sub, a, b, "Sub"), "SubBackward", [a, b], g => [g.SumTo(sa, da), (-g).SumTo(sb, db)]);
    }

    /// <summary>Elementwise product with broadcasting (<c>torch.mul</c>).</summary>
    public static Tensor operator *(Tensor a, Tensor b) =>
        Node.Record(Binary(BinaryKind.Mul, a, b, "Mul"), "MulBackward", [a, b],
            g => [a.RequiresGrad ? (g * b).SumTo(a.shape, a.DType) : null, b.RequiresGrad ? (g * a).SumTo(b.shape, b.DType) : null], a, b);

    /// <summary>Elementwise true division with broadcasting (<c>torch.div</c>); Int64 operands give Float32.</summary>
    public static Tensor operator /(Tensor a, Tensor b)
    {
        if (!a.DType.IsFloatingPoint() && !b.DType.IsFloatingPoint()) { a = a.To(DType.Float32); b = b.To(DType.Float32); }
        return Node.Record(Binary(BinaryKind.Div, a, b, "Div"), "DivBackward", [a, b],
            g => [a.RequiresGrad ? (g / b).SumTo(a.shape, a.DType) : null, b.RequiresGrad ? (-g * a / (b * b)).SumTo(b.shape, b.DType) : null], a, b);
    }

    /// <summary>Elementwise negation (<c>torch.neg</c>).</summary>
    public static Tensor operator -(Tensor a) =>
        Node.Record(a.DType.IsFloatingPoint() ? a.Map(new UnaryOp(UnaryKind.Neg), "Neg") : Binary(BinaryKind.Sub, ScalarLike(0, a), a, "Neg"), "NegBackward", [a], g => [-g]);

    /// <summary>Adds a scalar.</summary>
    public static Tensor operator +(Tensor a, double b) => a.DType.IsFloatingPoint() ? a.WithScalar(BinaryKind.Add, b, "AddBackward") : a + ScalarLike(b, a);
    /// <summary>Adds a scalar.</summary>
    public static Tensor operator +(double a, Tensor b) => b + a;
    /// <summary>Subtracts a scalar.</summary>
    public static Tensor operator -(Tensor a, double b) => a.DType.IsFloatingPoint() ? a.WithScalar(BinaryKind.Sub, b, "SubBackward") : a - ScalarLike(b, a);
    /// <summary>Subtracts from a scalar.</summary>
    public static Tensor operator -(double a, Tensor b) => ScalarLike(a, b) - b;
    /// <summary>Multiplies by a scalar.</summary>
    public static Tensor operator *(Tensor a, double b) => a.DType.IsFloatingPoint() ? a.WithScalar(BinaryKind.Mul, b, "MulBackward") : a * ScalarLike(b, a);
    /// <summary>Multiplies by a scalar.</summary>
    public static Tensor operator *(double a, Tensor b) => b * a;
    /// <summary>Divides by a scalar.</summary>
    public static Tensor operator /(Tensor a, double b) => a.DType.IsFloatingPoint() ? a.WithScalar(BinaryKind.Div, b, "DivBackward") : a / ScalarLike(b, a);
    /// <summary>Divides a scalar by each element.</summary>
    public static Tensor operator /(double a, Tensor b) => ScalarLike(a, b) / b;

    /// <summary>Elementwise maximum with broadcasting (<c>torch.maximum</c>); ties split the gradient evenly.</summary>
    public static Tensor Maximum(Tensor a, Tensor b) => MinMax(BinaryKind.Max, a, b, "MaximumBackward");

    /// <summary>Elementwise minimum with broadcasting (<c>torch.minimum</c>); ties split the gradient evenly.</summary>
    public static Tensor Minimum(Tensor a, Tensor b) => MinMax(BinaryKind.Min, a, b, "MinimumBackward");

    private static Tensor MinMax(BinaryKind kind, Tensor a, Tensor b, string name)
    {
        var y = Binary(kind, a, b, name[..^8]);
        return Node.Record(y, name, [a, b], g =>
        {
            bool max = kind == BinaryKind.Max;
            var wins = max ? a.Gt(b) : a.Lt(b);
            var share = wins + a.Eq(b) * 0.5; // a's share of the gradient
            return [(g * share).SumTo(a.shape, a.DType), (g * (1 - share)).SumTo(b.shape, b.DType)];
        }, a, b);
    }

    /// <summary>Picks <paramref name="a"/> where <paramref name="condition"/> is nonzero, else <paramref name="b"/>, with broadcasting (<c>torch.where</c>).</summary>
    public static Tensor Where(Tensor condition, Tensor a, Tensor b)
    {
        var dtype = DTypeExtensions.Promote(a.DType, b.DType);
        var shape = ShapeUtil.Broadcast(ShapeUtil.Broadcast(condition.shape, a.shape, "Where"), b.shape, "Where");
        var device = condition.Rank == 0 && condition.Device == Device.Cpu ? (a.Rank == 0 && a.Device == Device.Cpu ? b : a) : condition;
        (condition, a, b) = (FollowDevice(condition, device), FollowDevice(a, device), FollowDevice(b, device));
        var mask = condition.Ne(ScalarLike(0, condition)).Detach().To(dtype);
        var y = Empty(shape, dtype, a);
        var ac = a.Detach().To(dtype); var bc = b.Detach().To(dtype);
        var m = mask.Expand(shape); var ea = ac.Expand(shape); var eb = bc.Expand(shape);
        Backend.Of("Where", m, ea, eb).Where(m.Layout, ea.Layout, eb.Layout, y.Layout);
        return Node.Record(y, "WhereBackward", [a, b],
            g => [(g * mask).SumTo(a.shape, a.DType), (g * (1 - mask)).SumTo(b.shape, b.DType)], mask);
    }

    /// <summary>Mask of a == b (1 where true, 0 elsewhere, in the operands' promoted dtype) (<c>torch.eq</c>).</summary>
    public Tensor Eq(Tensor other) => Binary(BinaryKind.Eq, this, other, "Eq");
    /// <summary>Mask of a != b (<c>torch.ne</c>).</summary>
    public Tensor Ne(Tensor other) => Binary(BinaryKind.Ne, this, other, "Ne");
    /// <summary>Mask of a &lt; b (<c>torch.lt</c>).</summary>
    public Tensor Lt(Tensor other) => Binary(BinaryKind.Lt, this, other, "Lt");
    /// <summary>Mask of a &lt;= b (<c>torch.le</c>).</summary>
    public Tensor Le(Tensor other) => Binary(BinaryKind.Le, this, other, "Le");
    /// <summary>Mask of a &gt; b (<c>torch.gt</c>).</summary>
    public Tensor Gt(Tensor other) => Binary(BinaryKind.Gt, this, other, "Gt");
    /// <summary>Mask of a &gt;= b (<c>torch.ge</c>).</summary>
    public Tensor Ge(Tensor other) => Binary(BinaryKind.Ge, this, other, "Ge");
    /// <summary>Mask of a == value.</summary>
    public Tensor Eq(double value) => Eq(ScalarLike(value, this));
    /// <summary>Mask of a &gt; value.</summary>
    public Tensor Gt(double value) => Gt(ScalarLike(value, this));
    /// <summary>Mask of a &lt; value.</summary>
    public Tensor Lt(double value) => Lt(ScalarLike(value, this));
    /// <summary>Mask of a &gt; b.</summary>
    public static Tensor operator >(Tensor a, Tensor b) => a.Gt(b);
    /// <summary>Mask of a &lt; b.</summary>
    public static Tensor operator <(Tensor a, Tensor b) => a.Lt(b);
    /// <summary>Mask of a &gt;= b.</summary>
    public static Tensor operator >=(Tensor a, Tensor b) => a.Ge(b);
    /// <summary>Mask of a &lt;= b.</summary>
    public static Tensor operator <=(Tensor a, Tensor b) => a.Le(b);
    /// <summary>Mask of a &gt; value.</summary>
    public static Tensor operator >(Tensor a, double b) => a.Gt(ScalarLike(b, a));
    /// <summary>Mask of a &lt; value.</summary>
    public static Tensor operator <(Tensor a, double b) => a.Lt(ScalarLike(b, a));
    /// <summary>Mask of a &gt;= value.</summary>
    public static Tensor operator >=(Tensor a, double b) => a.Ge(ScalarLike(b, a));
    /// <summary>Mask of a &lt;= value.</summary>
    public static Tensor operator <=(Tensor a, double b) => a.Le(ScalarLike(b, a));

    /// <summary>A 0-d tensor for a scalar operand: the tensor's dtype, or Float32 for a fractional value against Int64.</summary>
    internal static Tensor ScalarLike(double value, Tensor like) =>
        Full([], value, like.DType.IsFloatingPoint() || value != Math.Floor(value) ? (like.DType.IsFloatingPoint() ? like.DType : DType.Float32) : DType.Int64, like);

    /// <summary>
    /// this ∘ s (+, −, ×, ÷) for a floating-point tensor and a constant: the same arithmetic as with a broadcast scalar
    /// tensor, without creating one. The node keeps PyTorch's two edges (the scalar's leads nowhere).
    /// </summary>
    private Tensor WithScalar(BinaryKind kind, double s, string name)
    {
        var x = Dense();
        var y = Uninitialized(shape, DType, x);
        Backend.Of(x).BinaryScalar(kind, x.Layout, s, y.Layout);
        return Node.RecordWithConstant(y, name, this, g =>
            [kind == BinaryKind.Mul ? g * s : kind == BinaryKind.Div ? g / s : g, null]); // d(x∘s)/dx: s, 1/s or 1
    }

    /// <summary>
    /// PyTorch's rule for scalars: a 0-d CPU tensor may meet a tensor on another device, and moves there (a copy, so its
    /// gradient flows back). Any other operand stays; the op's device check then reports a real mismatch.
    /// </summary>
    private static Tensor FollowDevice(Tensor t, Tensor other) =>
        t.Rank == 0 && t.Device == Device.Cpu && other.Device != Device.Cpu ? t.To(other.Device) : t;

    /// <summary>Forward of a broadcasting binary op (no autograd).</summary>
    internal static Tensor Binary(BinaryKind kind, Tensor a, Tensor b, string op)
    {
        var dtype = DTypeExtensions.Promote(a.DType, b.DType);
        if (a.Device != b.Device) (a, b) = (FollowDevice(a, b), FollowDevice(b, a));
        if (a.DType != dtype) a = a.Detach().To(dtype);
        if (b.DType != dtype) b = b.Detach().To(dtype);
        var y = Uninitialized(ShapeUtil.SameShape(a.shape, b.shape) ? a.shape : ShapeUtil.Broadcast(a.shape, b.shape, op), dtype, a);
        Backend.Of(op, a, b).Binary(kind, a.Layout, b.Layout, y.Layout);
        return y;
    }

    /// <summary>Sums a broadcast gradient back to <paramref name="target"/>'s shape and converts it to its dtype.</summary>
    internal Tensor SumTo(int[] target, DType dtype)
    {
        var g = this;
        if (!ShapeUtil.SameShape(shape, target))
        {
            int lead = Rank - target.Length;
            var dims = new List<int>();
            for (int i = 0; i < Rank; i++)
                if (i < lead || (target[i - lead] == 1 && shape[i] != 1)) dims.Add(i);
            if (dims.Count > 0) g = g.Sum([.. dims], keepDim: true);
            g = g.Reshape(target);
        }
        return g.DType == dtype ? g : g.To(dtype);
    }
}
