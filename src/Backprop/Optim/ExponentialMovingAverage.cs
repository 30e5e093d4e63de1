namespace Backprop.Optim;

/// <summary>
/// Exponential moving average of a scalar series, as in the tutorials: v₁ = x₁, vₜ = β·vₜ₋₁ + (1−β)·xₜ. With
/// <c>biasCorrection</c>, v₀ = 0 and the value reported is vₜ / (1 − βᵗ), as Adam does.
/// </summary>
public sealed class ExponentialMovingAverage
{
    private readonly double beta;
    private readonly bool biasCorrection;
    private double v;

    /// <summary>Creates the average with weight <paramref name="beta"/> on the past.</summary>
    public ExponentialMovingAverage(double beta, bool biasCorrection = false)
    {
        if (beta < 0 || beta >= 1) throw new ArgumentException($"ExponentialMovingAverage: beta must be in [0, 1), got {beta}.");
        (this.beta, this.biasCorrection) = (beta, biasCorrection);
    }

    /// <summary>Number of values seen.</summary>
    public int Count { get; private set; }

    /// <summary>The current average (NaN before the first value).</summary>
    public double Value => Count == 0 ? double.NaN : biasCorrection ? v / (1 - Math.Pow(beta, Count)) : v;

    /// <summary>Adds one value and returns the new average.</summary>
    public double Update(double x)
    {
        v = Count == 0 && !biasCorrection ? x : beta * v + (1 - beta) * x;
        Count++;
        return Value;
    }
}
