using Backprop.NN;

namespace Backprop.Tests.NN;

public class BceSaturationTests
{
    [Fact]
    public void BceLoss_OnASaturatedSigmoid_HasPyTorchsFiniteGradient()
    {
        // The reproduction: Float32 sigmoid(20) rounds to exactly 1, where the composed chain rule gave NaN.
        var r = Reference.Load("bce_saturated.json");
        var z = Tensor.FromArray(r.GetProperty("logits").Doubles().Select(v => (float)v).ToArray(), requiresGrad: true);
        var y = Tensor.FromArray(r.GetProperty("target").Doubles().Select(v => (float)v).ToArray());
        var loss = Functional.BceLoss(z.Sigmoid(), y);
        loss.Backward();
        Assert.Equal(r.GetProperty("loss").GetDouble(), loss.Item(), 1e-6);
        Reference.AssertClose(r.GetProperty("grad").Doubles(), z.Grad!.ToArray<double>(), 1e-7, 1e-6, "BceLoss grad");
        Assert.Equal(0.0, z.Grad!.ToArray<double>()[0]);
    }

    [Fact]
    public void BceLoss_GradientsPassGradCheck()
    {
        var x = Tensor.FromArray([0.2, 0.7, 0.55, 0.9], requiresGrad: true);
        var y = Tensor.FromArray([0.0, 1.0, 0.3, 0.6], requiresGrad: true);
        var w = Tensor.FromArray([1.0, 0.5, 2.0, 1.5]);
        Assert.True(GradCheck.Check(inputs => Functional.BceLoss(inputs[0], inputs[1], w), [x, y]));
        Assert.True(GradCheck.Check(inputs => Functional.BceLoss(inputs[0], inputs[1], reduction: Reduction.Sum), [x, y]));
    }

    [Fact]
    public void BceLoss_SecondOrderGradientsPassGradGradCheck()
    {
        var x = Tensor.FromArray([0.2, 0.7, 0.55], requiresGrad: true);
        var y = Tensor.FromArray([0.0, 1.0, 0.3]);
        Assert.True(GradCheck.CheckSecondOrder(inputs => Functional.BceLoss(inputs[0], y), [x]));
    }
}
