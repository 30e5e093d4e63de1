#:project ../src/Backprop/Backprop.csproj
// TensorFlow's GradientTape example: fit y = a·X + b with a summed squared loss, gradients from Autograd.Grad.
using Backprop;

var X = Tensor.FromArray(new[] { 0.0, 0.25, 0.5, 0.74, 1.0 });
var Y = Tensor.FromArray(new[] { 0.0, 0.36, 0.54, 0.82, 1.0 });
var a = Tensor.Scalar(0.0, DType.Float64, requiresGrad: true);
var b = Tensor.Scalar(0.0, DType.Float64, requiresGrad: true);
const double lr = 0.05;
for (int epoch = 1; epoch <= 1000; epoch++)
{
    var residual = a * X + b - Y;
    var loss = (residual * residual).Sum();
    var grads = Autograd.Grad(loss, [a, b]);          // like tape.gradient(loss, [a, b])
    using (Autograd.NoGrad()) { a.Sub_(grads[0] * lr); b.Sub_(grads[1] * lr); }
    if (epoch == 1 || epoch % 200 == 0)
        Console.WriteLine($"epoch {epoch,4}: loss = {loss.Item():F6}, a = {a.Item():F4}, b = {b.Item():F4}, dL/da = {grads[0].Item():F5}, dL/db = {grads[1].Item():F5}");
}
Console.WriteLine($"fitted line: y = {a.Item():F4}·x + {b.Item():F4}");
