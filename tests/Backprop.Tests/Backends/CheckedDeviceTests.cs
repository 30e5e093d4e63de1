using Backprop.Backends;
using Backprop.IO;
using Backprop.NN;
using Backprop.Optim;

namespace Backprop.Tests.Backends;

/// <summary>
/// The test-only checked device: CPU kernels behind storages that refuse raw access from outside a backend primitive.
/// These tests run in both passes; the whole suite's second pass runs on it (BACKPROP_TEST_DEVICE=checked).
/// </summary>
public class CheckedDeviceTests
{
    [Fact]
    public void RawAccess_FromOutsideTheBackend_Throws()
    {
        var t = Tensor.FromArray([1f, 2f, 3f]).To(Device.Checked);
        Assert.Equal(Device.Checked, t.Device);
        // A code path that bypasses the seam (reading the storage's buffer) fails ...
        var e = Assert.Throws<InvalidOperationException>(() => t.Storage.Data);
        Assert.Contains("from outside its backend", e.Message);
        Assert.Contains("checked", e.Message);
        // ... while every public path goes through the primitives.
        Assert.Equal([1f, 2f, 3f], t.ToArray<float>());
        Assert.Equal(2.0, t[1].Item());
        Assert.Equal(12.0, (t * 2).Sum().Item());
    }

    [Fact]
    public void RawAccess_InsideAPrimitive_IsAllowed_AlsoOnWorkerThreads()
    {
        var t = Tensor.FromArray([5f]).To(Device.Checked);
        using (BackendGuard.Enter()) Assert.Equal(5f, ((float[])t.Storage.Data)[0]);
        Assert.False(BackendGuard.Inside);
        // Large enough for the optimizer step and the product to split across worker threads, which carry the mark.
        var p = new Parameter(Tensor.Ones([300_000]).To(Device.Checked));
        var opt = new Adam([p], lr: 0.1);
        (p * p).Sum().Backward();
        opt.Step();
        Assert.All(p.ToArray<float>(), v => Assert.Equal(0.9f, v, 6));
        var a = Tensor.Ones([256, 256]).To(Device.Checked);
        Assert.Equal(256.0, a.MatMul(a)[3, 7].Item());
    }

    [Fact]
    public void Ops_OnTheCheckedDevice_StayThere_AndMixingDevicesThrowsPyTorchsError()
    {
        var x = Tensor.FromArray([1.0, -2.0]).To(Device.Checked);
        Assert.Equal(Device.Checked, (x + 1).Device);
        Assert.Equal(Device.Checked, x.Relu().Sum().Device);
        Assert.Equal(Device.Checked, Tensor.ZerosLike(x).Device);
        var cpu = x.To(Device.Cpu);
        Assert.Equal(Device.Cpu, cpu.Device);
        var e = Assert.Throws<InvalidOperationException>(() => x + cpu);
        Assert.StartsWith("Expected all tensors to be on the same device, but found at least two devices, checked and cpu!", e.Message);
    }

    [Fact]
    public void ToDevice_IsDifferentiable_BothWays()
    {
        var x = Tensor.FromArray([1.0, 2.0], requiresGrad: true);
        var y = (x.To(Device.Checked) * 3).To(Device.Cpu).Sum();
        y.Backward();
        Assert.Equal(x.Device, x.Grad!.Device);
        Assert.Equal([3.0, 3.0], x.Grad!.ToArray());
    }

    [Fact]
    public void ConvNetTrainingSteps_OnTheCheckedDevice_MatchTheCpu_BitForBit()
    {
        Module Build() => new Sequential(
            new Conv2d(2, 4, 3, padding: 1, generator: new Generator(3)), new Relu(), new MaxPool2d(2),
            new Flatten(), new Linear(4 * 3 * 3, 5, generator: new Generator(4)));
        var gen = new Generator(9);
        var images = Tensor.Randn([6, 2, 6, 6], gen);
        var labels = Tensor.FromArray([0L, 1, 2, 3, 4, 0]);
        float[] Train(Device device)
        {
            var model = Build().To(device);
            var opt = new Adam(model.Parameters(), lr: 0.01);
            var (x, y) = (images.To(device), labels.To(device));
            for (int step = 0; step < 3; step++)
            {
                opt.ZeroGrad();
                var loss = Functional.CrossEntropy(model.Forward(x), y);
                Assert.Equal(device, loss.Device);
                loss.Backward();
                ClipGrad.Norm(model.Parameters(), 1.0);
                opt.Step();
            }
            Assert.All(model.Parameters(), p => Assert.Equal(device, p.Device));
            return [.. model.Parameters().SelectMany(p => p.ToArray<float>())];
        }
        var onChecked = Train(Device.Checked);
        // In the checked pass new tensors (the layers' constants) are born on the checked device, so the CPU side of the
        // comparison runs in the CPU pass; the checked pass compares every other test's numbers with PyTorch's instead.
        if (!TestDevice.IsChecked) Assert.Equal(Train(Device.Cpu), onChecked);
    }

    [Fact]
    public void ScanSortAndSafeTensors_OnTheCheckedDevice()
    {
        var x = Tensor.FromArray([3.0, 1.0, 2.0]).To(Device.Checked);
        Assert.Equal([3.0, 4.0, 6.0], x.CumSum(0).ToArray());
        Assert.Equal(6.0, x.Prod(0).Item());
        var (values, indices) = x.Sort(0);
        Assert.Equal([1.0, 2.0, 3.0], values.ToArray());
        Assert.Equal([1L, 2, 0], indices.ToArray<long>());
        var path = Path.Combine(Path.GetTempPath(), $"checked-{Guid.NewGuid():N}.safetensors");
        try
        {
            SafeTensors.Save(path, new Dictionary<string, Tensor> { ["x"] = x, ["i"] = indices });
            var back = SafeTensors.Load(path);
            Assert.Equal(x.ToArray(), back["x"].ToArray());
            Assert.Equal([1L, 2, 0], back["i"].ToArray<long>());
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void TheTestDeviceVariable_PicksWhereNewTensorsLive()
    {
        var expected = Environment.GetEnvironmentVariable(Allocators.TestDeviceVariable) == "checked" ? Device.Checked : Device.Cpu;
        Assert.Equal(expected, Tensor.Zeros([2]).Device);
        Assert.Equal(expected, Tensor.FromArray([1L]).Device);
        Assert.Equal(expected, TestDevice.Default);
    }
}
