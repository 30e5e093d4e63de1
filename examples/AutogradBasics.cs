#:project ../src/Backprop/Backprop.csproj
// The autograd tutorial: requires_grad, grad_fn, backward, no_grad, detach.
using Backprop;

var x = Tensor.Ones([2, 2], requiresGrad: true);
Console.WriteLine(x);
var y = x + 2;
Console.WriteLine(y);
Console.WriteLine(y.GradFn);
var z = y * y * 3;
var out_ = z.Mean();
Console.WriteLine(z);
Console.WriteLine(out_);
out_.Backward();
Console.WriteLine(x.Grad);          // d(out)/dx = 3(x+2)/2 = 4.5

Console.WriteLine(x.RequiresGrad);
Console.WriteLine((x * x).RequiresGrad);
using (Autograd.NoGrad())
    Console.WriteLine((x * x).RequiresGrad);   // False: nothing recorded

var d = x.Detach();
Console.WriteLine(d.RequiresGrad);  // False, same data
Console.WriteLine(d.Eq(x).Sum().Item() == x.Numel);
