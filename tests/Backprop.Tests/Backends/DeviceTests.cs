namespace Backprop.Tests.Backends;

public class DeviceTests
{
    [Theory]
    [InlineData("cpu", DeviceKind.Cpu, 0, "cpu")]
    [InlineData("cpu:0", DeviceKind.Cpu, 0, "cpu")]
    [InlineData("cuda", DeviceKind.Cuda, 0, "cuda:0")]
    [InlineData("cuda:0", DeviceKind.Cuda, 0, "cuda:0")]
    [InlineData("cuda:11", DeviceKind.Cuda, 11, "cuda:11")]
    public void Parse_FollowsTorchDevice(string text, DeviceKind kind, int index, string printed)
    {
        var d = Device.Parse(text);
        Assert.Equal(kind, d.Kind);
        Assert.Equal(index, d.Index);
        Assert.Equal(printed, d.ToString());
        Assert.Equal(d, Device.Parse(printed));
    }

    [Theory]
    [InlineData("cuda:", "Invalid device string: 'cuda:'")]
    [InlineData("cuda:01", "Invalid device string: 'cuda:01'")]
    [InlineData("cuda:x", "Invalid device string: 'cuda:x'")]
    [InlineData("cuda:-1", "Invalid device string: 'cuda:-1'")]
    [InlineData("cpu:1", "The CPU device index must be 0")]
    [InlineData("CUDA:0", "Expected one of cpu, cuda device type at start of device string: CUDA:0")]
    [InlineData("gpu", "Expected one of cpu, cuda device type at start of device string: gpu")]
    public void Parse_RejectsWhatTorchRejects(string text, string message)
    {
        var e = Assert.Throws<FormatException>(() => Device.Parse(text));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void ValueEquality_AndFactories()
    {
        Assert.Equal(Device.Cuda(1), Device.Parse("cuda:1"));
        Assert.NotEqual(Device.Cuda(0), Device.Cuda(1));
        Assert.NotEqual(Device.Cpu, Device.Cuda(0));
        Assert.Equal(Device.Cpu, default);
        Assert.Throws<ArgumentOutOfRangeException>(() => Device.Cuda(-1));
    }

    [Fact]
    public void Tensor_LivesOnTheDefaultDevice_AndToItsOwnDeviceIsItself()
    {
        var t = Tensor.FromArray([1f, 2f]);
        var home = TestDevice.Default; // the CPU, or the checked device in the suite's second pass
        Assert.Equal(home, t.Device);
        Assert.Same(t, t.To(home));
        if (home == Device.Cpu) Assert.Same(t, t.To("cpu"));
        Assert.Equal(DType.Float64, t.To(home, DType.Float64).DType);
        Assert.Equal(home, (t + t).Device);
    }

    [Fact]
    public void Tensor_ToCuda_SaysWhyItCannot()
    {
        var e = Assert.Throws<NotSupportedException>(() => Tensor.FromArray([1f]).To(Device.Cuda(Backprop.Cuda.DeviceCount)));
        Assert.StartsWith("Tensor.To(cuda:0): ", e.Message);
        Assert.Contains(Backprop.Cuda.IsAvailable ? "invalid device ordinal" : "no CUDA driver was found", e.Message); // more in CudaAvailabilityTests
        var cpu = Tensor.FromArray([1f]).To(Device.Cpu);
        Assert.Same(cpu, cpu.Cpu());
        if (!Backprop.Cuda.IsAvailable) Assert.StartsWith("Tensor.To(cuda:0): ", Assert.Throws<NotSupportedException>(() => cpu.Cuda()).Message);
    }

    [Fact]
    public void CheckSame_UsesPyTorchsWording()
    {
        Device.CheckSame(Device.Cpu, Device.Cpu, "add");
        var e = Assert.Throws<InvalidOperationException>(() => Device.CheckSame(Device.Cpu, Device.Cuda(0), "matmul"));
        Assert.StartsWith("Expected all tensors to be on the same device, but found at least two devices, cpu and cuda:0!", e.Message);
        Assert.Contains("matmul", e.Message);
    }
}
