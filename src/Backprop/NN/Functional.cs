namespace Backprop.NN;

/// <summary>Stateless forms of layers and activations (<c>torch.nn.functional</c>); losses are in the other part of this class.</summary>
public static partial class Functional
{
    /// <summary>x·Wᵀ + b (<c>F.linear</c>).</summary>
    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias = null) => Tensor.Linear(input, weight, bias);

    /// <summary>max(x, 0) (<c>F.relu</c>).</summary>
    public static Tensor Relu(Tensor input) => input.Relu();

    /// <summary>Logistic sigmoid (<c>torch.sigmoid</c>).</summary>
    public static Tensor Sigmoid(Tensor input) => input.Sigmoid();

    /// <summary>Hyperbolic tangent (<c>torch.tanh</c>).</summary>
    public static Tensor Tanh(Tensor input) => input.Tanh();

    /// <summary>Leaky ReLU (<c>F.leaky_relu</c>).</summary>
    public static Tensor LeakyRelu(Tensor input, double negativeSlope = 0.01) => input.LeakyRelu(negativeSlope);

    /// <summary>GELU (<c>F.gelu</c>).</summary>
    public static Tensor Gelu(Tensor input, string approximate = "none") => input.Gelu(approximate);

    /// <summary>Softplus (<c>F.softplus</c>).</summary>
    public static Tensor Softplus(Tensor input, double beta = 1, double threshold = 20) => input.Softplus(beta, threshold);

    /// <summary>Softmax along a dim (<c>F.softmax</c>).</summary>
    public static Tensor Softmax(Tensor input, int dim) => input.Softmax(dim);

    /// <summary>Log-softmax along a dim (<c>F.log_softmax</c>).</summary>
    public static Tensor LogSoftmax(Tensor input, int dim) => input.LogSoftmax(dim);

    /// <summary>
    /// x for x &gt; 0, else α(eˣ − 1) (<c>F.elu</c>). The exponential is taken of min(x, 0), so large inputs never
    /// overflow, and the gradient at 0 is α as in PyTorch.
    /// </summary>
    public static Tensor Elu(Tensor input, double alpha = 1) =>
        Tensor.Where(input > 0, input, alpha * (input.Clamp(max: 0).Exp() - 1));

    /// <summary>
    /// Randomly zeroes elements with probability <paramref name="p"/> and scales the rest by 1/(1−p) when
    /// <paramref name="training"/>; returns the input unchanged otherwise (<c>F.dropout</c>).
    /// </summary>
    public static Tensor Dropout(Tensor input, double p = 0.5, bool training = true, Generator? generator = null)
    {
        if (p < 0 || p > 1) throw new ArgumentException($"Dropout probability has to be between 0 and 1, but got {p}.");
        if (!training || p == 0) return input;
        if (p == 1) return input * 0;
        var keep = Tensor.Rand(input.Shape, generator, input.DType) >= p;
        return input * (keep / (1 - p));
    }
}
