#:project ../src/Backprop/Backprop.csproj
// Momentum, AdaGrad, RMSProp and Adam on the same Linear(10, 1) model and data, from the same initial weights.
using Backprop;
using Backprop.Data;
using Backprop.NN;
using Backprop.Optim;

var gen = new Generator(0);
var x = Tensor.Randn([1000, 10], gen);
var y = x.MatMul(Tensor.Randn([10, 1], gen)) + 0.1 * Tensor.Randn([1000, 1], gen);
var data = new TensorDataset(x, y);

var optimizers = new (string Name, Func<IEnumerable<Tensor>, Optimizer> Make)[]
{
    ("SGD", p => new Sgd(p, lr: 0.01)),
    ("Momentum", p => new Sgd(p, lr: 0.01, momentum: 0.9)),
    ("Nesterov", p => new Sgd(p, lr: 0.01, momentum: 0.9, nesterov: true)),
    ("AdaGrad", p => new Adagrad(p, lr: 0.1)),
    ("RMSProp", p => new RmsProp(p, lr: 0.01)),
    ("Adam", p => new Adam(p, lr: 0.01)),
};
Console.WriteLine($"{"optimizer",-10} {"epoch 1",10} {"epoch 5",10} {"epoch 20",10}");
foreach (var (name, make) in optimizers)
{
    var model = new Linear(10, 1, generator: new Generator(1));
    var opt = make(model.Parameters());
    var loader = new DataLoader(data, 32, shuffle: true, seed: 0);
    var losses = new List<double>();
    for (int epoch = 1; epoch <= 20; epoch++)
    {
        foreach (var (xb, yb) in loader)
        {
            opt.ZeroGrad();
            Functional.MseLoss(model.Forward(xb), yb).Backward();
            opt.Step();
        }
        using (Autograd.NoGrad()) losses.Add(Functional.MseLoss(model.Forward(x), y).Item());
    }
    Console.WriteLine($"{name,-10} {losses[0],10:F5} {losses[4],10:F5} {losses[19],10:F5}");
}
