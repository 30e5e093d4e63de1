using Backprop.Backends;

namespace Backprop;

/// <summary>
/// In-place updates (PyTorch's trailing-underscore methods). They bump the storage's version counter and are not
/// recorded by autograd: use them on tensors that do not require grad, or inside <see cref="Autograd.NoGrad"/>, as
/// optimizers do.
/// </summary>
public partial class Tensor
{
    /// <summary>this += alpha·other, with other broadcast to this tensor's shape (<c>tensor.add_(other, alpha=alpha)</c>).</summary>
    public Tensor Add_(Tensor other, double alpha = 1) => Update(BinaryKind.Add, alpha == 1 ? other : other * alpha, "Add_");

    /// <summary>this += value (<c>tensor.add_(value)</c>).</summary>
    public Tensor Add_(double value) => Update(BinaryKind.Add, ScalarLike(value, this), "Add_");

    /// <summary>this −= alpha·other (<c>tensor.sub_</c>).</summary>
    public Tensor Sub_(Tensor other, double alpha = 1) => Update(BinaryKind.Sub, alpha == 1 ? other : other * alpha, "Sub_");

    /// <summary>this ×= other (<c>tensor.mul_</c>).</summary>
    public Tensor Mul_(Tensor other) => Update(BinaryKind.Mul, other, "Mul_");

    /// <summary>this ×= value (<c>tensor.mul_</c>).</summary>
    public Tensor Mul_(double value) => Update(BinaryKind.Mul, ScalarLike(value, this), "Mul_");

    /// <summary>
    /// this ÷= other (<c>tensor.div_</c>). On an integer tensor the quotient is truncated toward zero (PyTorch's
    /// <c>div_(other, rounding_mode="trunc")</c>), and a zero divisor throws <see cref="DivideByZeroException"/> naming
    /// its first position, on every device.
    /// </summary>
    public Tensor Div_(Tensor other)
    {
        if (!DType.IsFloatingPoint() && !other.DType.IsFloatingPoint()) CheckNoZeroDivisor(other, "Div_");
        return Update(BinaryKind.Div, other, "Div_");
    }

    /// <summary>
    /// Throws for an integer division with a zero divisor, as PyTorch's ZeroDivisionError: a CUDA kernel cannot throw
    /// and would quietly give 0, so the check runs here, the same for every device (one count read back).
    /// </summary>
    private static void CheckNoZeroDivisor(Tensor divisor, string op)
    {
        var zeros = divisor.Detach().Eq(ScalarLike(0, divisor));
        long count = (long)zeros.Sum().Item();
        if (count == 0) return;
        long first = Array.IndexOf(zeros.Cpu().ToArray<float>(), 1f);
        throw new DivideByZeroException(
            $"{op}: integer division by zero — the divisor of shape {divisor.ShapeString} has {count} zero element(s), the first at " +
            $"flat index {first}. Divide in a floating-point dtype (x.To(DType.Float32)) or replace the zeros first (Tensor.Where).");
    }

    /// <summary>Sets every element to zero (<c>tensor.zero_()</c>).</summary>
    public Tensor Zero_() => Fill_(0);

    /// <summary>Sets every element to <paramref name="value"/> (<c>tensor.fill_</c>).</summary>
    public Tensor Fill_(double value)
    {
        CheckInPlace("Fill_");
        if (!IsContiguous) return CopyFrom(ScalarLike(value, this));
        FillRaw(value);
        BumpVersion();
        return this;
    }

    /// <summary>
    /// Copies <paramref name="source"/> (broadcast, converted to this dtype, and moved from its device if it lives on
    /// another, as PyTorch's copy_ allows) into this tensor (<c>tensor.copy_</c>).
    /// </summary>
    public Tensor Copy_(Tensor source)
    {
        CheckInPlace("Copy_");
        return CopyFrom(source.Detach().To(Storage.Allocator));
    }

    internal Tensor CopyFrom(Tensor source)
    {
        var src = source.Detach().To(DType).Expand(shape);
        Backends.Backend.Of("Copy_", src, this).CopyStrided(src.Layout, Layout);
        BumpVersion();
        return this;
    }

    private Tensor Update(BinaryKind kind, Tensor other, string op)
    {
        CheckInPlace(op);
        if (!ShapeUtil.SameShape(ShapeUtil.Broadcast(shape, other.shape, op), shape))
            throw new ArgumentException($"{op}: a tensor of shape {other.ShapeString} cannot be broadcast to the in-place target's shape {ShapeString}.");
        if (IsContiguous && other.IsContiguous && other.DType == DType && ShapeUtil.SameShape(shape, other.shape))
        {
            Backend.Of(op, this, other).Binary(kind, Layout, other.Layout, Layout);
            BumpVersion();
            return this;
        }
        return CopyFrom(Binary(kind, Detach(), other.Detach(), op));
    }

    private void CheckInPlace(string op)
    {
        if (!Autograd.IsGradEnabled || !RequiresGrad) return;
        throw new InvalidOperationException(IsLeaf
            ? $"{op}: a leaf tensor that requires grad (shape {ShapeString}) is being used in an in-place operation. Do the update inside Autograd.NoGrad(), as optimizers do."
            : $"{op}: in-place operations on tensors recorded by autograd (this one by {GradFn!.Name}) are not supported; use the out-of-place form.");
    }
}
