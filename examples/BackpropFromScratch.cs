#:project ../src/Backprop/Backprop.csproj
// The tutorial's "no framework" project: a 2-layer sigmoid network trained by backpropagation written out by hand
// (forward, deltas, weight gradients, update), next to the same network built from Linear layers and trained by autograd.
// Both start from the same weights and print the same losses.
using Backprop;
using Backprop.NN;
using Backprop.Optim;

var digits = Backprop.Data.Datasets.Digits();
var x = digits.Features / 16.0;                                  // [1797, 64]
var labels = digits.Labels;
var target = Tensor.Zeros([x.Shape[0], 10]).Scatter(1, labels.Unsqueeze(1), Tensor.Ones([x.Shape[0], 1])); // one-hot
const double lr = 4.0;

// Same initial weights for both.
var layer1 = new Linear(64, 32, generator: new Generator(1));
var layer2 = new Linear(32, 10, generator: new Generator(2));
var w1 = layer1.Weight.Detach().Clone(); var b1 = layer1.Bias!.Detach().Clone();
var w2 = layer2.Weight.Detach().Clone(); var b2 = layer2.Bias!.Detach().Clone();

var model = new Sequential(layer1, new Sigmoid(), layer2, new Sigmoid());
var opt = new Sgd(model.Parameters(), lr: lr);
int n = x.Shape[0];

for (int epoch = 1; epoch <= 300; epoch++)
{
    // By hand: z1 = x·W1ᵀ + b1, a1 = σ(z1), z2 = a1·W2ᵀ + b2, ŷ = σ(z2), E = ½·mean over samples of Σ (ŷ − y)².
    var a1 = Tensor.Linear(x, w1, b1).Sigmoid();
    var yhat = Tensor.Linear(a1, w2, b2).Sigmoid();
    double lossByHand = 0.5 * ((yhat - target) * (yhat - target)).Sum().Item() / n;
    var delta2 = (yhat - target) * yhat * (1 - yhat) / n;        // ∂E/∂z2
    var delta1 = delta2.MatMul(w2) * a1 * (1 - a1);              // ∂E/∂z1, the error carried back one layer
    w2.Sub_(delta2.Transpose().MatMul(a1) * lr); b2.Sub_(delta2.Sum(0) * lr);
    w1.Sub_(delta1.Transpose().MatMul(x) * lr); b1.Sub_(delta1.Sum(0) * lr);

    // With the framework: the same network, loss and update, gradients from autograd.
    opt.ZeroGrad();
    var output = model.Forward(x);
    var loss = 0.5 * ((output - target) * (output - target)).Sum() / n;
    loss.Backward();
    opt.Step();

    if (epoch == 1 || epoch % 50 == 0)
        Console.WriteLine($"epoch {epoch,3}: loss by hand = {lossByHand:F6}   loss with autograd = {loss.Item():F6}");
}
double accuracy;
using (Autograd.NoGrad()) accuracy = model.Forward(x).ArgMax(1).Eq(labels).Sum().Item() / n;
Console.WriteLine($"training accuracy after 300 epochs: {accuracy:P1}");
