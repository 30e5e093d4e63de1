using Backprop.Data;
using Backprop.NN;
using Backprop.Optim;

namespace Backprop.Tests;

/// <summary>Whole training runs on the embedded data: model, loss, optimizer, loader together.</summary>
public class EndToEndTests
{
    [Fact]
    public void MlpWithAdam_OnDigits_ReachesAtLeast95PercentOnHeldOut20Percent()
    {
        var digits = Datasets.Digits();
        var parts = DatasetSplits.RandomSplit(digits, [0.8, 0.2], seed: 0);
        var train = parts[0];
        var test = ((TensorSubset)parts[1]).Materialize();
        var model = new Sequential(new Linear(64, 64, generator: new Generator(1)), new Relu(), new Linear(64, 10, generator: new Generator(2)));
        var opt = new Adam(model.Parameters(), lr: 1e-3);
        var loss = new CrossEntropyLoss();
        var loader = new DataLoader(train, batchSize: 32, shuffle: true, seed: 0);
        for (int epoch = 0; epoch < 20; epoch++)
            foreach (var (x, y) in loader)
            {
                opt.ZeroGrad();
                loss.Forward(model.Forward(x / 16.0), y).Backward();
                opt.Step();
            }
        model.Eval();
        double accuracy;
        using (Backprop.Autograd.NoGrad())
            accuracy = model.Forward(test[0] / 16.0).ArgMax(1).Eq(test[1]).Sum().Item() / test[1].Numel;
        Assert.True(accuracy >= 0.95, $"test accuracy {accuracy:P1}");
    }

    [Fact]
    public void TwoLayerNetwork_LearnsXorWithSgdMomentum()
    {
        var x = Tensor.FromArray(new float[,] { { 0, 0 }, { 0, 1 }, { 1, 0 }, { 1, 1 } });
        var y = Tensor.FromArray(new float[,] { { 0 }, { 1 }, { 1 }, { 0 } });
        var model = new Sequential(new Linear(2, 4, generator: new Generator(0)), new Tanh(), new Linear(4, 1, generator: new Generator(1)), new Sigmoid());
        var opt = new Sgd(model.Parameters(), lr: 0.5, momentum: 0.9);
        var loss = new BceLoss();
        for (int i = 0; i < 1000; i++)
        {
            opt.ZeroGrad();
            loss.Forward(model.Forward(x), y).Backward();
            opt.Step();
        }
        var predicted = model.Forward(x).ToArray();
        Assert.Equal(new[] { 0.0, 1, 1, 0 }, predicted.Select(v => Math.Round(v)));
        Assert.True(loss.Forward(model.Forward(x), y).Item() < 0.05);
    }
}
