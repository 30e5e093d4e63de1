namespace Backprop;

/// <summary>
/// A seedable random number generator (<c>torch.Generator</c>): xoshiro256** seeded through SplitMix64, so the same
/// seed gives the same numbers on every run, machine and .NET version. Normals use the Box–Muller transform.
/// Safe to share between threads (each draw takes the generator's lock, as PyTorch's generators do), so
/// <see cref="Default"/> can serve every thread; the order of draws between threads is then up to the scheduler.
/// </summary>
public sealed partial class Generator
{
    private readonly Lock gate = new();
    private ulong s0, s1, s2, s3;
    private double spareNormal;
    private bool hasSpare;

    /// <summary>Creates a generator from a seed (<c>torch.Generator().manual_seed(seed)</c>).</summary>
    public Generator(long seed = 0) => ManualSeed(seed);

    /// <summary>
    /// The generator used when none is passed (<c>torch.default_generator</c>): by initialisation, <c>Rand</c>/<c>Randn</c>,
    /// <see cref="NN.Dropout"/>; seeded with 0 at start-up.
    /// </summary>
    public static Generator Default { get; } = new(0);

    /// <summary>Re-seeds the default generator in place (<c>torch.manual_seed</c>).</summary>
    public static void SetDefaultSeed(long seed) => Default.ManualSeed(seed);

    /// <summary>Resets this generator to the state given by <paramref name="seed"/>; returns this generator.</summary>
    public Generator ManualSeed(long seed)
    {
        lock (gate)
        {
            ulong x = (ulong)seed;
            s0 = SplitMix(ref x); s1 = SplitMix(ref x); s2 = SplitMix(ref x); s3 = SplitMix(ref x);
            hasSpare = false;
        }
        return this;
    }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        lock (gate) return Step();
    }

    private ulong Step()
    {
        ulong result = ulong.RotateLeft(s1 * 5, 7) * 9, t = s1 << 17;
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = ulong.RotateLeft(s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble()
    {
        lock (gate) return StepDouble();
    }

    private double StepDouble() => (Step() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, 1) with 24 random bits (never rounds up to 1 as a float).</summary>
    public float NextSingle()
    {
        lock (gate) return (Step() >> 40) * (1.0f / (1 << 24));
    }

    /// <summary>Standard normal sample.</summary>
    public double NextNormal()
    {
        lock (gate) return StepNormal();
    }

    private double StepNormal()
    {
        if (hasSpare) { hasSpare = false; return spareNormal; }
        double u1 = 1.0 - StepDouble(), u2 = StepDouble();
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        spareNormal = r * Math.Sin(2 * Math.PI * u2);
        hasSpare = true;
        return r * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>Uniform integer in [low, high).</summary>
    public long NextInt64(long low, long high)
    {
        if (high <= low) throw new ArgumentException($"NextInt64: high ({high}) must be greater than low ({low}).");
        ulong range = (ulong)(high - low), limit = ulong.MaxValue - ulong.MaxValue % range;
        ulong v;
        lock (gate)
            do v = Step(); while (v >= limit);
        return low + (long)(v % range);
    }
}
