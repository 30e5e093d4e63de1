namespace Backprop;

/// <summary>Element type of a <see cref="Tensor"/>. Counterpart of <c>torch.dtype</c>.</summary>
public enum DType
{
    /// <summary>32-bit IEEE float, the default (<c>torch.float32</c>).</summary>
    Float32,
    /// <summary>64-bit IEEE float (<c>torch.float64</c>), used by gradient checks.</summary>
    Float64,
    /// <summary>64-bit signed integer (<c>torch.int64</c>), used for class indices.</summary>
    Int64,
}

/// <summary>Helpers on <see cref="DType"/>.</summary>
public static class DTypeExtensions
{
    /// <summary>True for <see cref="DType.Float32"/> and <see cref="DType.Float64"/> (<c>dtype.is_floating_point</c>).</summary>
    public static bool IsFloatingPoint(this DType dtype) => dtype != DType.Int64;

    /// <summary>Name as PyTorch prints it, e.g. <c>torch.float64</c>.</summary>
    public static string TorchName(this DType dtype) => dtype switch
    {
        DType.Float32 => "torch.float32",
        DType.Float64 => "torch.float64",
        _ => "torch.int64",
    };

    /// <summary>Bytes per element: 4 for Float32, 8 for Float64 and Int64.</summary>
    internal static int ElementSize(this DType dtype) => dtype == DType.Float32 ? 4 : 8;

    /// <summary>The dtype of a binary op's result (PyTorch's type promotion: int64 &lt; float32 &lt; float64).</summary>
    public static DType Promote(DType a, DType b) =>
        a == b ? a : (a == DType.Float64 || b == DType.Float64) ? DType.Float64 : DType.Float32;
}
