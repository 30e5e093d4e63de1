namespace Backprop;

public partial class Tensor
{
    /// <summary>The device holding this tensor's numbers (<c>tensor.device</c>).</summary>
    public Device Device => Storage.Device;

    /// <summary>This tensor as a backend sees it: storage, shape, strides, offset, dtype.</summary>
    internal Backends.TensorView Layout => new(Storage, shape, strides, Offset, DType);

    /// <summary>
    /// This tensor on <paramref name="device"/> (<c>tensor.to(device)</c>): itself when it is already there, otherwise a
    /// copy whose gradient flows back to this tensor. <c>Device.Cuda(n)</c> (experimental: see <see cref="Backprop.Cuda"/>)
    /// throws saying why when this machine has no CUDA driver or no such device.
    /// </summary>
    public Tensor To(Device device)
    {
        if (device == Device) return this;
        return To(Backends.Allocators.For(device, $"Tensor.To({device})"));
    }

    /// <summary>This tensor on <paramref name="target"/>'s device (see <see cref="To(Device)"/>).</summary>
    internal Tensor To(Backends.Allocator target)
    {
        if (target == Storage.Allocator) return this;
        var y = CopyTo(target);
        var from = Storage.Allocator;
        return Node.Record(y, "ToCopyBackward", [this], g => [g.To(from)]);
    }

    /// <summary>This tensor in host memory (<c>tensor.cpu()</c>): itself when already there.</summary>
    public Tensor Cpu() => To(Device.Cpu);

    /// <summary>This tensor on CUDA device <paramref name="index"/> (<c>tensor.cuda(index)</c>); see <see cref="To(Device)"/>.</summary>
    public Tensor Cuda(int index = 0) => To(Device.Cuda(index));

    /// <summary>A contiguous copy on <paramref name="target"/>'s device: a download from this device and an upload there.</summary>
    private Tensor CopyTo(Backends.Allocator target)
    {
        var src = Contiguous();
        var y = Uninitialized(shape, DType, target);
        switch (DType)
        {
            case DType.Float32: Transfer<float>(src, y); break;
            case DType.Float64: Transfer<double>(src, y); break;
            default: Transfer<long>(src, y); break;
        }
        return y;
    }

    private static void Transfer<T>(Tensor src, Tensor dst) where T : unmanaged, INumberBase<T>
    {
        var host = new T[src.Numel];
        Backends.Backend.Of(src).CopyToHost<T>(src.Layout, host);
        Backends.Backend.Of(dst).CopyFromHost<T>(host, dst.Layout);
    }

    /// <summary>Parses <paramref name="device"/> (<c>"cpu"</c>, <c>"cuda:0"</c>) and moves there (<c>tensor.to("cuda:0")</c>).</summary>
    public Tensor To(string device) => To(Device.Parse(device));

    /// <summary>This tensor converted to <paramref name="dtype"/> on <paramref name="device"/> (<c>tensor.to(device, dtype)</c>).</summary>
    public Tensor To(Device device, DType dtype) => To(device).To(dtype);

    internal static NotSupportedException Unavailable(Device device, string op) =>
        device.Kind == DeviceKind.Cuda ? Backends.Cuda.CudaRuntime.Unusable(device, op) : new($"{op}: no backend for device {device} in this build of Backprop; only cpu is available. " +
            "Keep tensors and modules on Device.Cpu.");
}
