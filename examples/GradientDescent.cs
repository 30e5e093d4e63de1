#:project ../src/Backprop/Backprop.csproj
// Gradient descent on y = 3x² + 2x + 1 from x = −10 with learning rate 0.2, 1000 steps.
using Backprop;

var x = Tensor.Scalar(-10.0, DType.Float64, requiresGrad: true);
const double lr = 0.2;
for (int step = 1; step <= 1000; step++)
{
    var y = 3 * x * x + 2 * x + 1;
    y.Backward();
    using (Autograd.NoGrad()) x.Sub_(x.Grad! * lr);
    x.Grad = null;
    if (step <= 5 || step % 200 == 0)
        Console.WriteLine($"step {step,4}: x = {x.Item(),10:F6}, y = {3 * x.Item() * x.Item() + 2 * x.Item() + 1:F6}");
}
Console.WriteLine($"minimum found: x = {x.Item():F4}, y = {3 * x.Item() * x.Item() + 2 * x.Item() + 1:F4} (exact: x = -1/3, y = 2/3)");
