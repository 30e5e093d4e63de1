namespace Backprop.Backends.Cuda;

/// <summary>
/// The CUDA device's primitives (candle's <c>CudaStorage</c>): each one launches a kernel of the modules in
/// <see cref="KernelSources"/> (or calls cuBLAS) on the device's one stream, with views turned into device addresses
/// (<see cref="Pointer(in TensorView)"/>) and strided operands coalesced into <see cref="KernelDims"/>/<see cref="KernelStrides"/>.
/// Nothing here waits for the device except the transfers to and from host memory. Primitives whose kernels are not
/// written yet live in <c>CudaBackend.Pending.cs</c> and throw <see cref="NotSupportedException"/> naming themselves.
/// </summary>
internal sealed partial class CudaBackend(CudaAllocator allocator) : IBackend
{
    /// <summary>The device this backend computes on.</summary>
    public CudaDevice Cuda => allocator.Cuda;

    public Device Device => allocator.Device;

    /// <summary>The device address of <paramref name="v"/>'s first element.</summary>
    internal static ulong Pointer(in TensorView v) => Pointer(v.Storage, v.Offset, v.DType);

    /// <summary>The device address of element <paramref name="offset"/> of <paramref name="storage"/> (elements of <paramref name="dtype"/>).</summary>
    internal static ulong Pointer(Storage storage, int offset, DType dtype) =>
        ((CudaBuffer)storage.Buffer).Pointer + (ulong)((long)offset * dtype.ElementSize());

    /// <summary>Makes the device current on this thread and launches <paramref name="kernel"/> over <paramref name="n"/> elements.</summary>
    private void Launch(string module, string kernel, long n, KernelArgs args)
    {
        using (args)
        {
            Cuda.MakeCurrent();
            Cuda.Launch(module, kernel, n, args);
        }
    }

    /// <summary>Throws for an Int64 operand of a primitive whose kernels are instantiated for the floating dtypes only.</summary>
    private static void RequireFloating(DType dtype, string primitive)
    {
        if (dtype == DType.Int64)
            throw new NotSupportedException($"{primitive} on Int64 tensors is not on CUDA yet (its kernels exist for Float32 and Float64); compute it on Device.Cpu.");
    }

    public void Map(in UnaryOp op, in TensorView input, in TensorView output)
    {
        RequireFloating(input.DType, "Map");
        Launch("unary", ElementwiseKernels.MapName(op.Kind, input.DType), input.Numel,
            new KernelArgs().Add((long)input.Numel).Add(Pointer(input)).Add(Pointer(output)).Add(op.A).Add(op.B));
    }

    public void BinaryScalar(BinaryKind kind, in TensorView input, double scalar, in TensorView output)
    {
        RequireFloating(input.DType, "BinaryScalar");
        Launch("binary", ElementwiseKernels.BinaryScalarName(kind, input.DType), input.Numel,
            new KernelArgs().Add((long)input.Numel).Add(Pointer(input)).Add(scalar).Add(Pointer(output)));
    }

    public void Binary(BinaryKind kind, in TensorView a, in TensorView b, in TensorView output)
    {
        var shape = output.Shape;
        var (dims, strides) = LaunchGeometry.Coalesce(shape, BroadcastStrides(a, shape), BroadcastStrides(b, shape), ShapeUtil.ContiguousStrides(shape));
        long n = output.Numel;
        Launch("binary", ElementwiseKernels.BinaryName(kind, output.DType), n, new KernelArgs().Add(n)
            .Add(Pointer(a)).Add(Strides(strides[0], "Binary")).Add(Pointer(b)).Add(Strides(strides[1], "Binary"))
            .Add(Pointer(output)).Add(Dims(dims, "Binary")));
    }

    public void CopyStrided(in TensorView source, in TensorView destination)
    {
        var (dims, strides) = LaunchGeometry.Coalesce(destination.Shape, source.Strides, destination.Strides);
        long n = destination.Numel;
        Launch("reduce", "copy_strided_" + ElementwiseKernels.Suffix(destination.DType), n, new KernelArgs().Add(n)
            .Add(Pointer(source)).Add(Strides(strides[0], "CopyStrided")).Add(Pointer(destination)).Add(Strides(strides[1], "CopyStrided"))
            .Add(Dims(dims, "CopyStrided")));
    }

    public void Fill(in TensorView destination, double value) =>
        Launch("reduce", "fill_" + ElementwiseKernels.Suffix(destination.DType), destination.Numel,
            new KernelArgs().Add((long)destination.Numel).Add(Pointer(destination)).Add(value));

    /// <summary>
    /// <paramref name="v"/>'s strides aligned to the broadcast <paramref name="shape"/> (NumPy's rule from the right): a
    /// missing leading dimension or a size-1 dimension against a larger one reads with stride 0.
    /// </summary>
    internal static int[] BroadcastStrides(in TensorView v, ReadOnlySpan<int> shape)
    {
        var result = new int[shape.Length];
        int lead = shape.Length - v.Shape.Length;
        for (int d = lead; d < shape.Length; d++)
            result[d] = v.Shape[d - lead] == 1 && shape[d] != 1 ? 0 : v.Strides[d - lead];
        return result;
    }

    /// <summary>The coalesced shape as the kernels' <c>Dims</c>; throws when more than <see cref="LaunchGeometry.MaxDims"/> dimensions remain.</summary>
    internal static unsafe KernelDims Dims(long[] shape, string primitive)
    {
        CheckRank(shape.Length, primitive);
        var d = new KernelDims { NDim = shape.Length };
        for (int i = 0; i < shape.Length; i++) d.Size[i] = shape[i];
        return d;
    }

    /// <summary>One operand's coalesced strides as the kernels' <c>Strides</c>.</summary>
    internal static unsafe KernelStrides Strides(long[] strides, string primitive)
    {
        CheckRank(strides.Length, primitive);
        var s = new KernelStrides();
        for (int i = 0; i < strides.Length; i++) s.Stride[i] = strides[i];
        return s;
    }

    private static void CheckRank(int rank, string primitive)
    {
        if (rank > LaunchGeometry.MaxDims)
            throw new NotSupportedException($"{primitive} on CUDA: the operands' layout needs {rank} dimensions even after merging, " +
                $"more than the {LaunchGeometry.MaxDims} the kernels take; call Contiguous() on the operands first.");
    }
}
