using Backprop.Backends;
using Backprop.NN;

namespace Backprop.Tests.Backends;

/// <summary>
/// Ops whose implementation builds an index, mask, divisor or scratch tensor of its own must build it on the input's
/// device, not the default one: each op here runs on the device that is not the default (the checked device in the
/// plain pass, the CPU in the checked pass), keeps its result there, and gives the default device's numbers.
/// </summary>
public class OffDefaultDeviceTests
{
    private static readonly Device Other = Allocators.Default == Allocators.Cpu ? Device.Checked : Device.Cpu;

    private static void Same(Func<Tensor, Tensor> op, Tensor x)
    {
        var expected = op(x);
        var actual = op(x.To(Other));
        Assert.Equal(Other, actual.Device);
        Assert.Equal(expected.ToArray<double>(), actual.ToArray<double>());
    }

    [Fact]
    public void IndexAndMaskBuildingOps_StayOnTheirInputsDevice()
    {
        var x = Tensor.Randn([2, 3, 4, 5], new Generator(1));
        Same(t => t.Flip(1, 3), x);
        Same(t => t.Roll(2, 3), x);
        Same(t => t.Triu(1), x);
        Same(t => t.Tril(-1), x);
        Same(t => t.MaskedSelect(t.Gt(Tensor.Scalar(0f).To(t.Device))), x);
        Same(t => Functional.Pad(t, [1, 2], PadMode.Reflect), x);
        Same(t => Functional.Pad(t, [2, 1], PadMode.Constant, 0.5), x);
        Same(t => Functional.AvgPool2d(t, 2, padding: 1), x);
        Same(t => Functional.AdaptiveAvgPool2d(t, (2, 3)), x);
        Same(t => Functional.Interpolate(t, scaleFactor: [2.0, 1.5]), x);
        Same(t => Functional.LayerNorm(t, [5]), x);
        Same(t => t.Gelu(), x);
    }

    [Fact]
    public void AttentionAndRecurrentLayers_StayOnTheirInputsDevice()
    {
        var q = Tensor.Randn([2, 4, 8], new Generator(2));
        Same(t => Functional.ScaledDotProductAttention(t, t, t, isCausal: true), q);
        var lstm = new Lstm(8, 6, generator: new Generator(3));
        var gru = new Gru(8, 6, batchFirst: true, generator: new Generator(4));
        var expected = (lstm.Forward(q, null).Output, gru.Forward(q, null).Output, gru.Forward(q, null, new SequenceLengths([4, 2])).Output);
        lstm.To(Other);
        gru.To(Other);
        var qo = q.To(Other);
        var actual = (lstm.Forward(qo, null).Output, gru.Forward(qo, null).Output, gru.Forward(qo, null, new SequenceLengths([4, 2])).Output);
        foreach (var (e, a) in new[] { (expected.Item1, actual.Item1), (expected.Item2, actual.Item2), (expected.Item3, actual.Item3) })
        {
            Assert.Equal(Other, a.Device);
            Assert.Equal(e.ToArray<double>(), a.ToArray<double>());
        }
    }
}
