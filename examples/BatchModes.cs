#:project ../src/Backprop/Backprop.csproj
// Batch GD vs SGD vs mini-batch GD on Linear(10, 1) with 1000 random samples: same model, same data, same epochs.
using System.Diagnostics;
using Backprop;
using Backprop.Data;
using Backprop.NN;
using Backprop.Optim;

var gen = new Generator(0);
var x = Tensor.Randn([1000, 10], gen);
var trueW = Tensor.Randn([10, 1], gen);
var y = x.MatMul(trueW) + 0.1 * Tensor.Randn([1000, 1], gen);
var data = new TensorDataset(x, y);

foreach (var (name, batch) in new[] { ("batch GD", 1000), ("SGD", 1), ("mini-batch GD (32)", 32) })
{
    var model = new Linear(10, 1, generator: new Generator(1));
    var opt = new Sgd(model.Parameters(), lr: batch == 1 ? 0.001 : 0.05);
    var loader = new DataLoader(data, batch, shuffle: true, seed: 0);
    int updates = 0;
    var clock = Stopwatch.StartNew();
    for (int epoch = 0; epoch < 10; epoch++)
        foreach (var (xb, yb) in loader)
        {
            opt.ZeroGrad();
            Functional.MseLoss(model.Forward(xb), yb).Backward();
            opt.Step();
            updates++;
        }
    double loss;
    using (Autograd.NoGrad()) loss = Functional.MseLoss(model.Forward(x), y).Item();
    Console.WriteLine($"{name,-20} updates = {updates,5}, final loss = {loss:F5}, time = {clock.ElapsedMilliseconds} ms");
}
