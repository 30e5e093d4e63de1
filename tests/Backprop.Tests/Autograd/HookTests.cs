namespace Backprop.Tests.Autograd;

using AG = Backprop.Autograd;

public class HookTests
{
    [Fact]
    public void PostAccumulateGradHook_SeesTheFullySummedGradient_Once()
    {
        // w is used three times; the hook must run once, after all three contributions are in w.Grad.
        var w = Tensor.FromArray(new[] { 1.0, 2.0 }, requiresGrad: true);
        var seen = new List<double[]>();
        w.RegisterPostAccumulateGradHook(t => seen.Add(t.Grad!.ToArray()));
        var x = Tensor.FromArray(new[] { 3.0, 5.0 });
        ((w * x).Sum() + (w * w).Sum() + w.Sum()).Backward();
        var only = Assert.Single(seen);
        Assert.Equal(new[] { 3 + 2 * 1.0 + 1, 5 + 2 * 2.0 + 1 }, only);
    }

    [Fact]
    public void PostAccumulateGradHook_RunsPerBackward_AfterAccumulatingIntoTheExistingGrad()
    {
        var w = Tensor.FromArray(new[] { 2.0 }, requiresGrad: true);
        var seen = new List<double>();
        w.RegisterPostAccumulateGradHook(t => seen.Add(t.Grad!.Item()));
        (w * 3).Sum().Backward();
        (w * 4).Sum().Backward();
        Assert.Equal(new[] { 3.0, 7.0 }, seen);
    }

    [Fact]
    public void Hooks_RunInLeafReadinessOrder_BeforeBackwardEnds()
    {
        // Layer 2's weight gets its gradient before layer 1's (reverse of the forward), which DDP's buckets rely on.
        var w1 = Tensor.FromArray(new[] { 0.5 }, requiresGrad: true);
        var w2 = Tensor.FromArray(new[] { 1.5 }, requiresGrad: true);
        var order = new List<string>();
        w1.RegisterPostAccumulateGradHook(_ => order.Add("w1"));
        w2.RegisterPostAccumulateGradHook(_ => order.Add("w2"));
        var x = Tensor.FromArray(new[] { 2.0 });
        ((x * w1).Tanh() * w2).Sum().Backward();
        Assert.Equal(new[] { "w2", "w1" }, order);
    }

    [Fact]
    public void Hooks_RunInRegistrationOrder_AndRemovedHooksDoNotRun()
    {
        var w = Tensor.FromArray(new[] { 1.0 }, requiresGrad: true);
        var calls = new List<int>();
        var first = w.RegisterPostAccumulateGradHook(_ => calls.Add(1));
        w.RegisterPostAccumulateGradHook(_ => calls.Add(2));
        (w * 2).Sum().Backward();
        first.Remove();
        first.Dispose(); // a second removal does nothing
        (w * 2).Sum().Backward();
        Assert.Equal(new[] { 1, 2, 2 }, calls);
    }

    [Fact]
    public void Hook_DoesNotRun_WhenNoGradientReachesTheLeaf_OrForAutogradGrad()
    {
        var used = Tensor.FromArray(new[] { 1.0 }, requiresGrad: true);
        var unused = Tensor.FromArray(new[] { 1.0 }, requiresGrad: true);
        int usedCalls = 0, unusedCalls = 0;
        used.RegisterPostAccumulateGradHook(_ => usedCalls++);
        unused.RegisterPostAccumulateGradHook(_ => unusedCalls++);
        (used * 2).Sum().Backward();
        AG.Grad((used * 3).Sum(), [used]);
        Assert.Equal(1, usedCalls);
        Assert.Equal(0, unusedCalls);
        Assert.Null(unused.Grad);
    }

    [Fact]
    public void Hook_OnARootLeaf_Runs()
    {
        var w = Tensor.FromArray(new[] { 1.0, 2.0 }, requiresGrad: true);
        double[]? seen = null;
        w.RegisterPostAccumulateGradHook(t => seen = t.Grad!.ToArray());
        w.Backward(Tensor.FromArray(new[] { 4.0, 5.0 }));
        Assert.Equal(new[] { 4.0, 5.0 }, seen);
    }

    [Fact]
    public void Register_OnANonLeafOrATensorWithoutGrad_Throws()
    {
        var w = Tensor.FromArray(new[] { 1.0 }, requiresGrad: true);
        var e = Assert.Throws<InvalidOperationException>(() => (w * 2).RegisterPostAccumulateGradHook(_ => { }));
        Assert.Contains("non-leaf", e.Message);
        Assert.Contains("MulBackward", e.Message);
        var plain = Tensor.FromArray(new[] { 1.0 });
        Assert.Contains("requiresGrad", Assert.Throws<InvalidOperationException>(() => plain.RegisterPostAccumulateGradHook(_ => { })).Message);
    }

    [Fact]
    public void ExceptionInAHook_PropagatesOutOfBackward()
    {
        var w = Tensor.FromArray(new[] { 1.0 }, requiresGrad: true);
        w.RegisterPostAccumulateGradHook(_ => throw new InvalidOperationException("from the hook"));
        Assert.Equal("from the hook", Assert.Throws<InvalidOperationException>(() => (w * 2).Sum().Backward()).Message);
    }
}
