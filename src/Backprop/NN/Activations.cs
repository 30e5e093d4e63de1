namespace Backprop.NN;

/// <summary>Logistic sigmoid (<c>torch.nn.Sigmoid</c>).</summary>
public sealed class Sigmoid : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Sigmoid();
}

/// <summary>Hyperbolic tangent (<c>torch.nn.Tanh</c>).</summary>
public sealed class Tanh : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Tanh();
}

/// <summary>max(x, 0) (<c>torch.nn.ReLU</c>).</summary>
public sealed class Relu : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Relu();
}

/// <summary>x or slope·x (<c>torch.nn.LeakyReLU</c>).</summary>
public sealed class LeakyRelu(double negativeSlope = 0.01) : Module
{
    /// <summary>Slope for negative inputs (<c>negative_slope</c>).</summary>
    public double NegativeSlope => negativeSlope;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.LeakyRelu(negativeSlope);
}

/// <summary>x for x &gt; 0, else α(eˣ − 1) (<c>torch.nn.ELU</c>).</summary>
public sealed class Elu(double alpha = 1) : Module
{
    /// <summary>α, the value approached for large negative inputs.</summary>
    public double Alpha => alpha;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Elu(input, alpha);
}

/// <summary>GELU, exact or tanh-approximated (<c>torch.nn.GELU</c>).</summary>
public sealed class Gelu(string approximate = "none") : Module
{
    /// <summary>"none" (exact, with erf) or "tanh".</summary>
    public string Approximate => approximate;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Gelu(approximate);
}

/// <summary>(1/β)·log(1 + e^(βx)), linear above the threshold (<c>torch.nn.Softplus</c>).</summary>
public sealed class Softplus(double beta = 1, double threshold = 20) : Module
{
    /// <summary>β.</summary>
    public double Beta => beta;

    /// <summary>Above β·x &gt; threshold the output is x.</summary>
    public double Threshold => threshold;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Softplus(input, beta, threshold);
}

/// <summary>Softmax along a dim (<c>torch.nn.Softmax</c>).</summary>
public sealed class Softmax(int dim = -1) : Module
{
    /// <summary>The dim it normalizes along.</summary>
    public int Dim => dim;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Softmax(dim);
}

/// <summary>Log-softmax along a dim (<c>torch.nn.LogSoftmax</c>).</summary>
public sealed class LogSoftmax(int dim = -1) : Module
{
    /// <summary>The dim it normalizes along.</summary>
    public int Dim => dim;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.LogSoftmax(dim);
}
