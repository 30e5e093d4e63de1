using Backprop.Backends;

namespace Backprop;

/// <summary>Activation functions and the softmax family, each forward next to its backward rule.</summary>
public partial class Tensor
{
    /// <summary>Logistic sigmoid 1/(1+e⁻ˣ) (<c>torch.sigmoid</c>).</summary>
    public Tensor Sigmoid()
    {
        var y = Map(new UnaryOp(UnaryKind.Sigmoid), "Sigmoid");
        return Node.Record(y, "SigmoidBackward", [this], g => [Autograd.IsGradEnabled ? g * y * (1 - y) : FusedGrad(g, y, ActivationKind.Sigmoid)], y);
    }

    /// <summary>Hyperbolic tangent (<c>torch.tanh</c>).</summary>
    public Tensor Tanh()
    {
        var y = Map(new UnaryOp(UnaryKind.Tanh), "Tanh");
        return Node.Record(y, "TanhBackward", [this], g => [Autograd.IsGradEnabled ? g * (1 - y * y) : FusedGrad(g, y, ActivationKind.Tanh)], y);
    }

    /// <summary>max(x, 0) (<c>torch.relu</c>); the gradient at 0 is 0.</summary>
    public Tensor Relu()
    {
        var y = Map(new UnaryOp(UnaryKind.Relu), "Relu");
        return Node.Record(y, "ReluBackward", [this], g => [Autograd.IsGradEnabled ? g * (y > 0) : FusedGrad(g, y, ActivationKind.Relu)], y);
    }

    /// <summary>The first-order backward of an activation from its output in one pass (no graph is built).</summary>
    private static Tensor FusedGrad(Tensor g, Tensor y, ActivationKind kind)
    {
        var gd = g.DType == y.DType ? g.Dense() : g.To(y.DType).Dense();
        var d = Uninitialized(y.shape, y.DType, y);
        Backends.Backend.Of("ActivationBackward", gd, y).ActivationBackward(kind, gd.Layout, y.Layout, d.Layout);
        return d;
    }

    /// <summary>x for x &gt; 0, else slope·x (<c>torch.nn.functional.leaky_relu</c>).</summary>
    public Tensor LeakyRelu(double negativeSlope = 0.01) =>
        Node.Record(Map(new UnaryOp(UnaryKind.LeakyRelu, negativeSlope), "LeakyRelu"), "LeakyReluBackward", [this], g =>
        {
            var positive = this > 0;
            return [g * (positive + (1 - positive) * negativeSlope)];
        }, this);

    /// <summary>
    /// (1/β)·log(1 + e^(βx)), computed without overflow, and x itself where βx exceeds <paramref name="threshold"/>
    /// (<c>torch.nn.functional.softplus</c>). Its gradient is sigmoid(βx) (1 above the threshold).
    /// </summary>
    public Tensor Softplus(double beta = 1, double threshold = 20)
    {
        Tensor y, bx;
        using (Autograd.NoGrad())
        {
            bx = Detach() * beta;
            var smooth = (bx.Relu() + (1 + (-bx.Abs()).Exp()).Log()) / beta;
            y = Where(bx > threshold, Detach(), smooth);
        }
        return Node.Record(y, "SoftplusBackward", [this], g => [g * Where(bx > threshold, OnesLike(bx), (this * beta).Sigmoid())], this, bx);
    }

    /// <summary>log(sigmoid(x)) = −softplus(−x), computed without overflow (<c>torch.nn.functional.logsigmoid</c>).</summary>
    public Tensor LogSigmoid() => -(-this).Softplus(1, double.PositiveInfinity);

    /// <summary>
    /// Gaussian error linear unit x·Φ(x) (<c>torch.nn.functional.gelu</c>); <paramref name="approximate"/> "tanh" selects
    /// PyTorch's tanh approximation.
    /// </summary>
    public Tensor Gelu(string approximate = "none")
    {
        bool tanh = approximate switch
        {
            "none" => false,
            "tanh" => true,
            _ => throw new ArgumentException($"Gelu: approximate must be \"none\" or \"tanh\", got \"{approximate}\"."),
        };
        return Node.Record(Map(new UnaryOp(tanh ? UnaryKind.GeluTanh : UnaryKind.Gelu), "Gelu"), "GeluBackward", [this],
            g => [Autograd.IsGradEnabled ? g * GeluDerivative(tanh) : FusedGeluGrad(g, tanh)], this);
    }

    /// <summary>GELU's first-order backward in one backend pass (no graph is built).</summary>
    private Tensor FusedGeluGrad(Tensor g, bool tanh)
    {
        var x = Dense();
        var gd = g.DType == DType ? g.Dense() : g.To(DType).Dense();
        var d = Uninitialized(shape, DType, this);
        Backends.Backend.Of("GeluBackward", gd, x).GeluBackward(tanh, gd.Layout, x.Layout, d.Layout);
        return d;
    }

    private Tensor GeluDerivative(bool tanh)
    {
        if (!tanh) return 0.5 * (1 + (this * (1 / Math.Sqrt(2))).Erf()) + this * (this * this * -0.5).Exp() * (1 / Math.Sqrt(2 * Math.PI));
        const double k = 0.7978845608028654; // sqrt(2/pi)
        var t = ((this + this * this * this * 0.044715) * k).Tanh();
        return 0.5 * (1 + t) + 0.5 * this * (1 - t * t) * k * (1 + this * this * (3 * 0.044715));
    }

    /// <summary>Softmax along <paramref name="dim"/>, computed stably by subtracting the max (<c>torch.softmax</c>).</summary>
    public Tensor Softmax(int dim)
    {
        int d = ShapeUtil.NormalizeDim(dim, Rank, "Softmax");
        var y = SoftmaxForward(d, log: false, "Softmax");
        return Node.Record(y, "SoftmaxBackward", [this], g => [y * (g - (g * y).Sum(d, keepDim: true))], y);
    }

    /// <summary>log(softmax(x)) along <paramref name="dim"/>, computed without overflow (<c>torch.log_softmax</c>).</summary>
    public Tensor LogSoftmax(int dim)
    {
        int d = ShapeUtil.NormalizeDim(dim, Rank, "LogSoftmax");
        var y = SoftmaxForward(d, log: true, "LogSoftmax");
        return Node.Record(y, "LogSoftmaxBackward", [this], g => [g - y.Exp() * g.Sum(d, keepDim: true)], y);
    }

    private Tensor SoftmaxForward(int dim, bool log, string op)
    {
        if (!DType.IsFloatingPoint()) throw NotFloat(op, DType);
        var x = Dense();
        var y = Uninitialized(shape, DType, this);
        var (outer, size, inner) = ShapeUtil.AroundDim(shape, dim);
        Backends.Backend.Of(x).Softmax(x.Layout, outer, size, inner, y.Layout, log);
        return y;
    }
}
