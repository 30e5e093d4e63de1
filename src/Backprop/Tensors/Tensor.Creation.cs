namespace Backprop;

public partial class Tensor
{
    /// <summary>A tensor filled with zeros (<c>torch.zeros</c>).</summary>
    public static Tensor Zeros(ReadOnlySpan<int> shape, DType dtype = DType.Float32, bool requiresGrad = false) =>
        Full(shape, 0, dtype, requiresGrad);

    /// <summary>A tensor filled with ones (<c>torch.ones</c>).</summary>
    public static Tensor Ones(ReadOnlySpan<int> shape, DType dtype = DType.Float32, bool requiresGrad = false) =>
        Full(shape, 1, dtype, requiresGrad);

    /// <summary>A tensor filled with <paramref name="value"/> (<c>torch.full</c>).</summary>
    public static Tensor Full(ReadOnlySpan<int> shape, double value, DType dtype = DType.Float32, bool requiresGrad = false) =>
        Full(shape, value, dtype, Backends.Allocators.Default).WithRequiresGrad(requiresGrad);

    /// <summary>A tensor filled with <paramref name="value"/> on <paramref name="like"/>'s device (ops' constants and zero gradients).</summary>
    internal static Tensor Full(ReadOnlySpan<int> shape, double value, DType dtype, Tensor like) => Full(shape, value, dtype, like.Storage.Allocator);

    /// <summary>A 0-d tensor in host (CPU) memory whatever the default device: counters the host reads every step.</summary>
    internal static Tensor HostScalar(double value, DType dtype) => Full([], value, dtype, Backends.Allocators.Cpu);

    private static Tensor Full(ReadOnlySpan<int> shape, double value, DType dtype, Backends.Allocator allocator)
    {
        var t = Empty(ShapeUtil.Validate(shape, "Full"), dtype, allocator);
        if (value != 0) t.FillRaw(value);
        return t;
    }

    /// <summary>A zero-dimensional tensor holding one value (<c>torch.tensor(value)</c>).</summary>
    public static Tensor Scalar(double value, DType dtype = DType.Float32, bool requiresGrad = false) => Full([], value, dtype, requiresGrad);

    /// <summary>Zeros with the shape, dtype and device of <paramref name="like"/> (<c>torch.zeros_like</c>).</summary>
    public static Tensor ZerosLike(Tensor like, bool requiresGrad = false) => Full(like.shape, 0, like.DType, like).WithRequiresGrad(requiresGrad);

    /// <summary>Ones with the shape, dtype and device of <paramref name="like"/> (<c>torch.ones_like</c>).</summary>
    public static Tensor OnesLike(Tensor like, bool requiresGrad = false) => Full(like.shape, 1, like.DType, like).WithRequiresGrad(requiresGrad);

    /// <summary>Integers 0, 1, …, end−1 as Int64 (<c>torch.arange(end)</c>).</summary>
    public static Tensor Arange(long end) => Arange(0, end, 1);

    /// <summary>Integers from <paramref name="start"/> (inclusive) to <paramref name="end"/> (exclusive) as Int64 (<c>torch.arange</c>).</summary>
    public static Tensor Arange(long start, long end, long step = 1)
    {
        if (step == 0) throw new ArgumentException("Arange: step must be nonzero.");
        long n = Math.Max(0, (end - start + step - Math.Sign(step)) / step);
        var values = new long[n];
        for (int i = 0; i < n; i++) values[i] = start + i * step;
        return Wrap(values, [(int)n], DType.Int64);
    }

    /// <summary>Floating-point values from <paramref name="start"/> to <paramref name="end"/> (exclusive) by <paramref name="step"/> (<c>torch.arange</c> with floats).</summary>
    public static Tensor Arange(double start, double end, double step, DType dtype = DType.Float32)
    {
        if (step == 0) throw new ArgumentException("Arange: step must be nonzero.");
        int n = (int)Math.Max(0, Math.Ceiling((end - start) / step));
        return FromFunction([n], dtype, i => start + i * step);
    }

    /// <summary><paramref name="steps"/> evenly spaced values from start to end inclusive (<c>torch.linspace</c>).</summary>
    public static Tensor Linspace(double start, double end, int steps, DType dtype = DType.Float32)
    {
        if (steps < 0) throw new ArgumentException("Linspace: steps must be non-negative.");
        double step = steps > 1 ? (end - start) / (steps - 1) : 0;
        // PyTorch fills the first half from start and the second half from end, so both ends are exact.
        return FromFunction([steps], dtype, i => i < steps / 2 ? start + i * step : end - (steps - 1 - i) * step);
    }

    /// <summary>An n×m matrix with ones on the diagonal (<c>torch.eye</c>).</summary>
    public static Tensor Eye(int n, int? m = null, DType dtype = DType.Float32)
    {
        int cols = m ?? n;
        var values = new double[n * cols];
        for (int i = 0; i < Math.Min(n, cols); i++) values[i * cols + i] = 1;
        var t = Uninitialized([n, cols], dtype);
        t.Upload(values);
        return t;
    }

    /// <summary>Uniform samples in [0, 1) (<c>torch.rand</c>).</summary>
    public static Tensor Rand(ReadOnlySpan<int> shape, Generator? generator = null, DType dtype = DType.Float32, bool requiresGrad = false)
    {
        var g = generator ?? Generator.Default;
        return FromFunction(ShapeUtil.Validate(shape, "Rand"), dtype, _ => dtype == DType.Float32 ? g.NextSingle() : g.NextDouble()).WithRequiresGrad(requiresGrad);
    }

    /// <summary>Standard normal samples (<c>torch.randn</c>).</summary>
    public static Tensor Randn(ReadOnlySpan<int> shape, Generator? generator = null, DType dtype = DType.Float32, bool requiresGrad = false)
    {
        var g = generator ?? Generator.Default;
        return FromFunction(ShapeUtil.Validate(shape, "Randn"), dtype, _ => g.NextNormal()).WithRequiresGrad(requiresGrad);
    }

    /// <summary>Uniform integers in [low, high) as Int64 (<c>torch.randint</c>).</summary>
    public static Tensor RandInt(long low, long high, ReadOnlySpan<int> shape, Generator? generator = null)
    {
        var g = generator ?? Generator.Default;
        var dims = ShapeUtil.Validate(shape, "RandInt");
        var values = new long[ShapeUtil.Numel(dims)];
        for (int i = 0; i < values.Length; i++) values[i] = g.NextInt64(low, high);
        return Wrap(values, dims, DType.Int64);
    }

    private static Tensor FromFunction(ReadOnlySpan<int> shape, DType dtype, Func<int, double> f)
    {
        var t = Uninitialized(shape, dtype);
        var values = new double[t.Numel];
        for (int i = 0; i < values.Length; i++) values[i] = f(i);
        t.Upload(values);
        return t;
    }

    internal Tensor WithRequiresGrad(bool value)
    {
        if (value) RequiresGrad = true;
        return this;
    }

    /// <summary>Sets every element of this contiguous tensor to <paramref name="value"/> (the backend's fill).</summary>
    private void FillRaw(double value) => Backends.Backend.Of(this).Fill(Layout, value);
}
