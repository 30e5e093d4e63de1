namespace Backprop.Tests.Autograd;

using AG = Backprop.Autograd;

public class EngineTests
{
    [Fact]
    public void GradientsAccumulateAcrossBackwardCalls()
    {
        var x = Tensor.FromArray(new[] { 1.0, 2.0 }, requiresGrad: true);
        (x * 3).Sum().Backward();
        (x * x).Sum().Backward();
        Assert.Equal(new[] { 3 + 2.0, 3 + 4.0 }, x.Grad!.ToArray());
    }

    [Fact]
    public void SharedGradientIsNotAliasedBetweenLeaves()
    {
        var a = Tensor.Ones([2], requiresGrad: true);
        var b = Tensor.Ones([2], requiresGrad: true);
        (a + b).Sum().Backward();
        (a * 5).Sum().Backward();
        Assert.Equal(new[] { 6.0, 6.0 }, a.Grad!.ToArray());
        Assert.Equal(new[] { 1.0, 1.0 }, b.Grad!.ToArray());
    }

    [Fact]
    public void CallersGradient_IsNeverAliasedByGrad()
    {
        var x = Tensor.Ones([2], requiresGrad: true);
        var given = Tensor.FromArray(new float[] { 1, 2 });
        x.Clone().Backward(given);   // CloneBackward passes the given tensor straight through
        x.Clone().Backward(given);   // the second call accumulates into x.Grad in place
        Assert.Equal(new[] { 2.0, 4.0 }, x.Grad!.ToArray());
        Assert.Equal(new[] { 1.0, 2.0 }, given.ToArray());
        var h = x * 1;
        h.RetainGrad();
        var other = h.Clone();
        (other * 3).Sum().Backward();
        Assert.False(ReferenceEquals(h.Grad!.Storage, x.Grad.Storage));
    }

    [Fact]
    public void BackwardWithGradient_OnNonScalar()
    {
        var x = Tensor.FromArray(new[] { 1.0, 2.0, 3.0 }, requiresGrad: true);
        var y = x * x;
        y.Backward(Tensor.FromArray(new[] { 1.0, 0.1, 0.01 }));
        Assert.Equal(new[] { 2.0, 0.4, 0.06 }, x.Grad!.ToArray(), new Tol(1e-12));
    }

    [Fact]
    public void BackwardOnNonScalarWithoutGradient_Throws()
    {
        var x = Tensor.Ones([2, 3], requiresGrad: true);
        var ex = Assert.Throws<InvalidOperationException>(() => (x * 2).Backward());
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Contains("one-element", ex.Message);
    }

    [Fact]
    public void BackwardWithWrongGradientShape_NamesBothShapes()
    {
        var x = Tensor.Ones([2, 3], requiresGrad: true);
        var ex = Assert.Throws<ArgumentException>(() => (x * 2).Backward(Tensor.Ones([3, 2])));
        Assert.Contains("[3, 2]", ex.Message);
        Assert.Contains("[2, 3]", ex.Message);
    }

    [Fact]
    public void SecondBackward_ThrowsAndSaysRetainGraph()
    {
        var x = Tensor.Ones([2], requiresGrad: true);
        var y = (x * x).Sum();
        y.Backward();
        var ex = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.Contains("retainGraph: true", ex.Message);
        Assert.Contains("MulBackward", ex.Message);
    }

    [Fact]
    public void RetainGraph_AllowsASecondBackward()
    {
        var x = Tensor.Ones([2], requiresGrad: true);
        var y = (x * x).Sum();
        y.Backward(retainGraph: true);
        y.Backward();
        Assert.Equal(new[] { 4.0, 4.0 }, x.Grad!.ToArray());
    }

    [Fact]
    public void BackwardOnTensorWithoutGrad_Throws()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => (Tensor.Ones([1]) * 2).Backward());
        Assert.Contains("does not require grad", ex.Message);
    }

    [Fact]
    public void GradOfTensorNotRequiringGrad_Throws()
    {
        var a = Tensor.Ones([2], requiresGrad: true);
        var c = Tensor.Ones([2]);
        var ex = Assert.Throws<ArgumentException>(() => AG.Grad((a * c).Sum(), [c]));
        Assert.Contains("input 0", ex.Message);
        Assert.Contains("does not require grad", ex.Message);
    }

    [Fact]
    public void GradOfUnusedInput_ThrowsUnlessAllowed()
    {
        var a = Tensor.Ones([2], requiresGrad: true);
        var b = Tensor.Ones([2], requiresGrad: true);
        Assert.Throws<InvalidOperationException>(() => AG.Grad((a * 2).Sum(), [b], retainGraph: true));
        var g = AG.Grad((a * 2).Sum(), [a, b], allowUnused: true);
        Assert.Equal(new[] { 2.0, 2.0 }, g[0].ToArray());
        Assert.Equal(new[] { 0.0, 0.0 }, g[1].ToArray());
    }

    [Fact]
    public void GradWithRespectToNonLeaf()
    {
        var x = Tensor.FromArray(new[] { 1.0, 2.0 }, requiresGrad: true);
        var h = x * 3;
        var y = (h * h).Sum();
        var g = AG.Grad(y, [h, x]);
        Assert.Equal(new[] { 6.0, 12.0 }, g[0].ToArray());
        Assert.Equal(new[] { 18.0, 36.0 }, g[1].ToArray());
        Assert.Null(x.Grad);
    }

    [Fact]
    public void RetainGrad_KeepsNonLeafGradient()
    {
        var x = Tensor.FromArray(new[] { 1.0, 2.0 }, requiresGrad: true);
        var h = x * 3;
        h.RetainGrad();
        var other = x * 2;
        (h * h).Sum().Backward();
        Assert.Equal(new[] { 6.0, 12.0 }, h.Grad!.ToArray());
        Assert.Null(other.Grad);
        Assert.False(h.IsLeaf);
    }

    [Fact]
    public void NoGrad_RecordsNothing_AndRestoresOnDispose()
    {
        var x = Tensor.Ones([2], requiresGrad: true);
        Tensor y;
        using (AG.NoGrad())
        {
            y = x * 2;
            Assert.False(AG.IsGradEnabled);
            using (AG.EnableGrad())
            {
                Assert.True((x * 2).RequiresGrad);
            }
            Assert.False(AG.IsGradEnabled);
        }
        Assert.True(AG.IsGradEnabled);
        Assert.False(y.RequiresGrad);
        Assert.Null(y.GradFn);
        Assert.True((x * 2).RequiresGrad);
    }

    [Fact]
    public void GradMode_IsPerThread()
    {
        using (AG.NoGrad())
        {
            bool other = false;
            var t = new Thread(() => other = AG.IsGradEnabled);
            t.Start(); t.Join();
            Assert.True(other);
            Assert.False(AG.IsGradEnabled);
        }
    }

    [Fact]
    public void Detach_SharesDataButCutsGraph()
    {
        var x = Tensor.Ones([2], requiresGrad: true);
        var y = x * 2;
        var d = y.Detach();
        Assert.True(d.IsLeaf);
        Assert.False(d.RequiresGrad);
        d.Fill_(7);
        Assert.Equal(new[] { 7.0, 7.0 }, y.ToArray());
        var z = (y * x.Detach()).Sum();
        z.Backward();
        Assert.Equal(new[] { 2.0, 2.0 }, x.Grad!.ToArray()); // only through y, not the detached factor
    }

    [Fact]
    public void RequiresGradSetter_OnlyOnLeavesAndFloats()
    {
        var x = Tensor.Ones([2], requiresGrad: true);
        Assert.Throws<InvalidOperationException>(() => (x * 2).RequiresGrad = false);
        Assert.Throws<InvalidOperationException>(() => Tensor.Arange(3).RequiresGrad_());
        var leaf = Tensor.Zeros([2]).RequiresGrad_();
        Assert.True(leaf.RequiresGrad);
    }

    [Fact]
    public void InPlaceChangeOfSavedTensor_IsDetectedAndNamesTheOp()
    {
        var a = Tensor.FromArray(new[] { 1.0, 2.0 });
        var w = Tensor.FromArray(new[] { 3.0, 4.0 }, requiresGrad: true);
        var y = (a * w).Sum();
        a.Add_(1);
        var ex = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.Contains("MulBackward", ex.Message);
        Assert.Contains("in-place", ex.Message);
        Assert.Contains("version 1", ex.Message);
    }

    [Fact]
    public void InPlaceOnLeafRequiringGrad_OutsideNoGrad_Throws()
    {
        var w = Tensor.Ones([2], requiresGrad: true);
        var ex = Assert.Throws<InvalidOperationException>(() => w.Add_(1));
        Assert.Contains("NoGrad", ex.Message);
        using (AG.NoGrad()) w.Add_(1);
        Assert.Equal(new[] { 2.0, 2.0 }, w.ToArray());
        Assert.Equal(1, w.Version);
    }

    [Fact]
    public void DetectAnomaly_NamesOpAndForwardLocation()
    {
        using (AG.DetectAnomaly())
        {
            var x = Tensor.FromArray(new[] { 0.0, 1.0 }, requiresGrad: true);
            var y = x.Sqrt().Sum(); // d sqrt at 0 is inf
            var ex = Assert.Throws<InvalidOperationException>(() => y.Backward());
            Assert.Contains("SqrtBackward", ex.Message);
            Assert.Contains(nameof(DetectAnomaly_NamesOpAndForwardLocation), ex.Message);
        }
        Assert.False(AG.IsAnomalyEnabled);
        // Without anomaly mode the same graph yields inf quietly, as in PyTorch.
        var x2 = Tensor.FromArray(new[] { 0.0, 1.0 }, requiresGrad: true);
        x2.Sqrt().Sum().Backward();
        Assert.True(double.IsPositiveInfinity(x2.Grad!.ToArray()[0]));
    }

    [Fact]
    public void LongChain_DoesNotOverflowTheStack()
    {
        var x = Tensor.Scalar(1.0, DType.Float64, requiresGrad: true);
        var y = x;
        for (int i = 0; i < 100_000; i++) y = y * 1.0;
        y.Backward();
        Assert.Equal(1.0, x.Grad!.Item());
    }

    [Fact]
    public void HigherOrder_CreateGraph()
    {
        var x = Tensor.Scalar(2.0, DType.Float64, requiresGrad: true);
        var y = x * x * x;
        var dy = AG.Grad(y, [x], createGraph: true)[0];
        Assert.Equal(12.0, dy.Item());
        Assert.True(dy.RequiresGrad);
        var d2y = AG.Grad(dy, [x], createGraph: true)[0];
        Assert.Equal(12.0, d2y.Item());
        var d3y = AG.Grad(d2y, [x])[0];
        Assert.Equal(6.0, d3y.Item());
    }

    [Fact]
    public void BackwardCreateGraph_GradIsDifferentiable()
    {
        var x = Tensor.FromArray(new[] { 1.0, 3.0 }, requiresGrad: true);
        (x.Pow(3)).Sum().Backward(createGraph: true);
        var g = x.Grad!;
        Assert.True(g.RequiresGrad);
        var gg = AG.Grad(g.Sum(), [x])[0];
        Assert.Equal(new[] { 6.0, 18.0 }, gg.ToArray());
    }

    [Fact]
    public void GradFn_ExposesNameAndNextFunctions()
    {
        var a = Tensor.Ones([2], requiresGrad: true);
        var y = (a * 2).Exp();
        Assert.Equal("ExpBackward", y.GradFn!.Name);
        Assert.Equal("MulBackward", y.GradFn.NextFunctions[0]!.Name);
        Assert.Equal("<ExpBackward>", y.GradFn.ToString());
    }

    [Fact]
    public void MixedDtypes_GradientsKeepEachLeafsDtype()
    {
        var a = Tensor.Ones([2], DType.Float32, requiresGrad: true);
        var b = Tensor.Ones([2], DType.Float64, requiresGrad: true);
        var y = (a * b).Sum();
        Assert.Equal(DType.Float64, y.DType);
        y.Backward();
        Assert.Equal(DType.Float32, a.Grad!.DType);
        Assert.Equal(DType.Float64, b.Grad!.DType);
    }
}

internal sealed class Tol(double tol) : IEqualityComparer<double>
{
    public bool Equals(double x, double y) => Math.Abs(x - y) <= tol;
    public int GetHashCode(double obj) => 0;
}
