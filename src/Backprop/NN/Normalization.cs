namespace Backprop.NN;

/// <summary>
/// The shared part of <see cref="BatchNorm1d"/> and <see cref="BatchNorm2d"/> (<c>torch.nn.modules.batchnorm._BatchNorm</c>):
/// weight (ones) and bias (zeros) when affine; buffers <c>running_mean</c> (zeros), <c>running_var</c> (ones) and
/// <c>num_batches_tracked</c> (Int64 0) when tracking running statistics.
/// </summary>
public abstract class BatchNormBase : Module
{
    /// <summary>Scale γ, shape [numFeatures] (state-dict name <c>weight</c>), or null without affine.</summary>
    public Parameter? Weight { get; }
    /// <summary>Shift β, shape [numFeatures] (state-dict name <c>bias</c>), or null without affine.</summary>
    public Parameter? Bias { get; }
    /// <summary>Running mean buffer, or null when statistics are not tracked.</summary>
    public Tensor? RunningMean { get; }
    /// <summary>Running (unbiased) variance buffer, or null when statistics are not tracked.</summary>
    public Tensor? RunningVar { get; }
    /// <summary>Number of training batches seen (Int64 0-d buffer), or null when statistics are not tracked.</summary>
    public Tensor? NumBatchesTracked { get; }

    /// <summary>Channels C.</summary>
    public int NumFeatures { get; }
    /// <summary>Added to the variance.</summary>
    public double Eps { get; }
    /// <summary>Weight of the new batch in the running average; null for a cumulative (equal-weight) average.</summary>
    public double? Momentum { get; }

    /// <summary>Creates the layer (PyTorch's defaults: eps 1e-5, momentum 0.1, affine, tracking).</summary>
    protected BatchNormBase(int numFeatures, double eps, double? momentum, bool affine, bool trackRunningStats, DType dtype)
    {
        if (numFeatures <= 0) throw new ArgumentException($"{GetType().Name}: numFeatures must be positive, got {numFeatures}.");
        NumFeatures = numFeatures; Eps = eps; Momentum = momentum;
        if (affine)
        {
            Weight = new Parameter(Tensor.Ones([numFeatures], dtype));
            Bias = new Parameter(Tensor.Zeros([numFeatures], dtype));
        }
        if (trackRunningStats)
        {
            RunningMean = Tensor.Zeros([numFeatures], dtype);
            RunningVar = Tensor.Ones([numFeatures], dtype);
            NumBatchesTracked = Tensor.Zeros([], DType.Int64);
            RegisterBuffer("running_mean", RunningMean);
            RegisterBuffer("running_var", RunningVar);
            RegisterBuffer("num_batches_tracked", NumBatchesTracked);
        }
    }

    /// <summary>A number as Python prints it in a module summary (1e-05, 0.1), whatever the current culture.</summary>
    internal static string PyNumber(double v) => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture).Replace('E', 'e');

    /// <summary>Throws unless the input has a rank this layer accepts.</summary>
    protected abstract void CheckInput(Tensor input);

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        CheckInput(input);
        if (input.Shape[1] != NumFeatures)
            throw new ArgumentException($"{GetType().Name}: expected {NumFeatures} channels (numFeatures) in dimension 1, got input of shape {ShapeUtil.Format(input.Shape)}.");
        double factor = Momentum ?? 0;
        if (IsTraining && NumBatchesTracked is not null)
        {
            using (Autograd.NoGrad()) NumBatchesTracked.Add_(1);
            if (Momentum is null) factor = 1.0 / NumBatchesTracked.Item(); // cumulative moving average
        }
        return Functional.BatchNorm(input, RunningMean, RunningVar, Weight, Bias, IsTraining || RunningMean is null, factor, Eps);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        $"{NumFeatures}, eps={PyNumber(Eps)}, momentum={(Momentum is double m ? PyNumber(m) : "None")}, affine={(Weight is null ? "False" : "True")}, track_running_stats={(RunningMean is null ? "False" : "True")}";
}

/// <summary>Batch normalisation of [N, C] or [N, C, L] inputs over N (and L) (<c>torch.nn.BatchNorm1d</c>).</summary>
public sealed class BatchNorm1d(int numFeatures, double eps = 1e-5, double? momentum = 0.1, bool affine = true, bool trackRunningStats = true, DType dtype = DType.Float32)
    : BatchNormBase(numFeatures, eps, momentum, affine, trackRunningStats, dtype)
{
    /// <inheritdoc/>
    protected override void CheckInput(Tensor input)
    {
        if (input.Rank != 2 && input.Rank != 3)
            throw new ArgumentException($"BatchNorm1d: expected 2-D [N, C] or 3-D [N, C, L] input, got shape {ShapeUtil.Format(input.Shape)}.");
    }
}

/// <summary>Batch normalisation of [N, C, H, W] inputs over N, H and W (<c>torch.nn.BatchNorm2d</c>).</summary>
public sealed class BatchNorm2d(int numFeatures, double eps = 1e-5, double? momentum = 0.1, bool affine = true, bool trackRunningStats = true, DType dtype = DType.Float32)
    : BatchNormBase(numFeatures, eps, momentum, affine, trackRunningStats, dtype)
{
    /// <inheritdoc/>
    protected override void CheckInput(Tensor input)
    {
        if (input.Rank != 4)
            throw new ArgumentException($"BatchNorm2d: expected 4-D [N, C, H, W] input, got shape {ShapeUtil.Format(input.Shape)}.");
    }
}

/// <summary>
/// Layer normalisation over the trailing <c>normalizedShape</c> dimensions (<c>torch.nn.LayerNorm</c>); with
/// elementwise affine, weight (ones) and bias (zeros) of that shape.
/// </summary>
public sealed class LayerNorm : Module
{
    private readonly int[] normalizedShape;

    /// <summary>Scale, shape normalizedShape (state-dict name <c>weight</c>), or null.</summary>
    public Parameter? Weight { get; }
    /// <summary>Shift, shape normalizedShape (state-dict name <c>bias</c>), or null.</summary>
    public Parameter? Bias { get; }
    /// <summary>Added to the variance.</summary>
    public double Eps { get; }

    /// <summary>Creates the layer; <paramref name="bias"/> false leaves out the shift (PyTorch 2.1's <c>bias=False</c>).</summary>
    public LayerNorm(int[] normalizedShape, double eps = 1e-5, bool elementwiseAffine = true, DType dtype = DType.Float32, bool bias = true)
    {
        if (normalizedShape.Length == 0 || normalizedShape.Any(s => s <= 0))
            throw new ArgumentException($"LayerNorm: normalizedShape must be non-empty and positive, got {ShapeUtil.Format(normalizedShape)}.");
        this.normalizedShape = (int[])normalizedShape.Clone();
        Eps = eps;
        if (elementwiseAffine)
        {
            Weight = new Parameter(Tensor.Ones(normalizedShape, dtype));
            if (bias) Bias = new Parameter(Tensor.Zeros(normalizedShape, dtype));
        }
    }

    /// <summary>Normalises over the last dimension of size <paramref name="normalizedShape"/>.</summary>
    public LayerNorm(int normalizedShape, double eps = 1e-5, bool elementwiseAffine = true, DType dtype = DType.Float32, bool bias = true)
        : this([normalizedShape], eps, elementwiseAffine, dtype, bias) { }

    /// <summary>The normalised trailing shape.</summary>
    public ReadOnlySpan<int> NormalizedShape => normalizedShape;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.LayerNorm(input, normalizedShape, Weight, Bias, Eps);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"({string.Join(", ", normalizedShape)}{(normalizedShape.Length == 1 ? "," : "")}), eps={BatchNormBase.PyNumber(Eps)}, elementwise_affine={(Weight is null ? "False" : "True")}";
}

/// <summary>
/// Group normalisation (<c>torch.nn.GroupNorm</c>): numGroups groups of channels, each normalised over its channels and
/// positions; with affine, per-channel weight (ones) and bias (zeros).
/// </summary>
public sealed class GroupNorm : Module
{
    /// <summary>Per-channel scale (state-dict name <c>weight</c>), or null.</summary>
    public Parameter? Weight { get; }
    /// <summary>Per-channel shift (state-dict name <c>bias</c>), or null.</summary>
    public Parameter? Bias { get; }
    /// <summary>Number of groups.</summary>
    public int NumGroups { get; }
    /// <summary>Number of channels.</summary>
    public int NumChannels { get; }
    /// <summary>Added to the variance.</summary>
    public double Eps { get; }

    /// <summary>Creates the layer; <paramref name="numChannels"/> must be divisible by <paramref name="numGroups"/>.</summary>
    public GroupNorm(int numGroups, int numChannels, double eps = 1e-5, bool affine = true, DType dtype = DType.Float32)
    {
        if (numGroups <= 0 || numChannels <= 0 || numChannels % numGroups != 0)
            throw new ArgumentException($"GroupNorm: numChannels ({numChannels}) must be divisible by numGroups ({numGroups}).");
        NumGroups = numGroups; NumChannels = numChannels; Eps = eps;
        if (affine)
        {
            Weight = new Parameter(Tensor.Ones([numChannels], dtype));
            Bias = new Parameter(Tensor.Zeros([numChannels], dtype));
        }
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        if (input.Rank < 2 || input.Shape[1] != NumChannels)
            throw new ArgumentException($"GroupNorm: expected an input [N, {NumChannels}, ...], got shape {ShapeUtil.Format(input.Shape)}.");
        return Functional.GroupNorm(input, NumGroups, Weight, Bias, Eps);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"{NumGroups}, {NumChannels}, eps={BatchNormBase.PyNumber(Eps)}, affine={(Weight is null ? "False" : "True")}";
}
