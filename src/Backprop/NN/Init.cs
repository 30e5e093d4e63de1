namespace Backprop.NN;

/// <summary>
/// Weight initialisers that fill a tensor in place (<c>torch.nn.init</c>). Each takes an optional
/// <see cref="Generator"/>; without one the default generator is used.
/// </summary>
public static class Init
{
    /// <summary>The recommended gain for a nonlinearity (<c>torch.nn.init.calculate_gain</c>).</summary>
    public static double CalculateGain(string nonlinearity, double param = 0.01) => nonlinearity switch
    {
        "linear" or "sigmoid" or "conv1d" or "conv2d" or "conv3d" => 1,
        "tanh" => 5.0 / 3,
        "relu" => Math.Sqrt(2),
        "leaky_relu" => Math.Sqrt(2.0 / (1 + param * param)),
        "selu" => 3.0 / 4,
        _ => throw new ArgumentException($"CalculateGain: unsupported nonlinearity \"{nonlinearity}\"."),
    };

    /// <summary>(fan_in, fan_out) of a weight of shape [out, in, ...] (<c>_calculate_fan_in_and_fan_out</c>).</summary>
    public static (int FanIn, int FanOut) Fans(Tensor t)
    {
        if (t.Rank < 2) throw new ArgumentException($"Fan in and fan out cannot be computed for a tensor with fewer than 2 dimensions (shape {t.ShapeString}).");
        int receptive = 1;
        for (int i = 2; i < t.Rank; i++) receptive *= t.Shape[i];
        return (t.Shape[1] * receptive, t.Shape[0] * receptive);
    }

    /// <summary>Fills with U(a, b) (<c>nn.init.uniform_</c>).</summary>
    public static Tensor Uniform(Tensor t, double a = 0, double b = 1, Generator? generator = null) =>
        Fill(t, g => a + (b - a) * g.NextDouble(), generator);

    /// <summary>Fills with N(mean, std²) (<c>nn.init.normal_</c>).</summary>
    public static Tensor Normal(Tensor t, double mean = 0, double std = 1, Generator? generator = null) =>
        Fill(t, g => mean + std * g.NextNormal(), generator);

    /// <summary>Fills with a constant (<c>nn.init.constant_</c>).</summary>
    public static Tensor Constant(Tensor t, double value) { using (Autograd.NoGrad()) t.Fill_(value); return t; }

    /// <summary>Fills with zeros (<c>nn.init.zeros_</c>).</summary>
    public static Tensor Zeros(Tensor t) => Constant(t, 0);

    /// <summary>Fills with ones (<c>nn.init.ones_</c>).</summary>
    public static Tensor Ones(Tensor t) => Constant(t, 1);

    /// <summary>Glorot uniform: U(±gain·√(6/(fan_in+fan_out))) (<c>nn.init.xavier_uniform_</c>).</summary>
    public static Tensor XavierUniform(Tensor t, double gain = 1, Generator? generator = null)
    {
        var (fi, fo) = Fans(t);
        double bound = gain * Math.Sqrt(6.0 / (fi + fo));
        return Uniform(t, -bound, bound, generator);
    }

    /// <summary>Glorot normal: N(0, gain²·2/(fan_in+fan_out)) (<c>nn.init.xavier_normal_</c>).</summary>
    public static Tensor XavierNormal(Tensor t, double gain = 1, Generator? generator = null)
    {
        var (fi, fo) = Fans(t);
        return Normal(t, 0, gain * Math.Sqrt(2.0 / (fi + fo)), generator);
    }

    /// <summary>He uniform: U(±gain·√(3/fan)) with gain from <paramref name="nonlinearity"/> and <paramref name="a"/> (<c>nn.init.kaiming_uniform_</c>).</summary>
    public static Tensor KaimingUniform(Tensor t, double a = 0, string mode = "fan_in", string nonlinearity = "leaky_relu", Generator? generator = null)
    {
        double bound = Math.Sqrt(3.0) * KaimingStd(t, a, mode, nonlinearity);
        return Uniform(t, -bound, bound, generator);
    }

    /// <summary>He normal: N(0, (gain/√fan)²) (<c>nn.init.kaiming_normal_</c>).</summary>
    public static Tensor KaimingNormal(Tensor t, double a = 0, string mode = "fan_in", string nonlinearity = "leaky_relu", Generator? generator = null) =>
        Normal(t, 0, KaimingStd(t, a, mode, nonlinearity), generator);

    private static double KaimingStd(Tensor t, double a, string mode, string nonlinearity)
    {
        var (fi, fo) = Fans(t);
        int fan = mode switch { "fan_in" => fi, "fan_out" => fo, _ => throw new ArgumentException($"Kaiming init: mode must be \"fan_in\" or \"fan_out\", got \"{mode}\".") };
        return CalculateGain(nonlinearity, a) / Math.Sqrt(fan);
    }

    private static Tensor Fill(Tensor t, Func<Generator, double> sample, Generator? generator)
    {
        var g = generator ?? Generator.Default;
        var values = new double[t.Numel];
        for (int i = 0; i < values.Length; i++) values[i] = sample(g);
        using (Autograd.NoGrad()) t.Copy_(Tensor.FromArray(values).Reshape(t.Shape));
        return t;
    }
}
