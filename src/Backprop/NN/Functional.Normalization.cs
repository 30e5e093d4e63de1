namespace Backprop.NN;

public static partial class Functional
{
    /// <summary>
    /// Batch normalisation over every dimension but the channel dimension 1 (<c>F.batch_norm</c>). In training (or
    /// without running statistics) it normalises with the batch mean and biased variance, and — when running tensors are
    /// given — updates them in place, under no-grad, with the unbiased variance:
    /// r ← momentum·batch + (1 − momentum)·r. Otherwise it normalises with the running statistics.
    /// </summary>
    public static Tensor BatchNorm(Tensor input, Tensor? runningMean, Tensor? runningVar, Tensor? weight = null, Tensor? bias = null,
        bool training = false, double momentum = 0.1, double eps = 1e-5)
    {
        if (input.Rank < 2) throw new ArgumentException($"BatchNorm: input must be [N, C, ...], got shape {input.ShapeString}.");
        int channels = input.Shape[1];
        foreach (var (t, name) in new[] { (runningMean, "running_mean"), (runningVar, "running_var"), (weight, "weight"), (bias, "bias") })
            if (t is not null && (t.Rank != 1 || t.Shape[0] != channels))
                throw new ArgumentException($"BatchNorm: {name} has shape {t.ShapeString} but the input of shape {input.ShapeString} has {channels} channels; expected [{channels}].");
        var dims = Enumerable.Range(0, input.Rank).Where(d => d != 1).ToArray();
        var bshape = Enumerable.Repeat(1, input.Rank).ToArray();
        bshape[1] = channels;
        bool useBatch = training || runningMean is null || runningVar is null;
        if (useBatch)
        {
            int n = input.Numel / Math.Max(1, channels);
            if (training && n <= 1)
                throw new ArgumentException($"BatchNorm: expected more than 1 value per channel when training, got input of shape {input.ShapeString}.");
            var (normalized, mean, variance) = Standardize(input, dims, eps);
            if (training && runningMean is not null && runningVar is not null) UpdateRunningStats(runningMean, runningVar, mean, variance, n, momentum);
            return Affine(normalized, weight, bias, bshape);
        }
        return Affine((input - runningMean!.Reshape(bshape)) * (runningVar!.Reshape(bshape) + eps).Rsqrt(), weight, bias, bshape);
    }

    /// <summary>r ← momentum·batch + (1 − momentum)·r in place under no-grad, with the unbiased variance (PyTorch's update).</summary>
    private static void UpdateRunningStats(Tensor runningMean, Tensor runningVar, Tensor mean, Tensor biasedVar, int n, double momentum)
    {
        using (Autograd.NoGrad())
        {
            int channels = runningMean.Numel;
            var unbiased = biasedVar.Reshape([channels]) * ((double)n / (n - 1));
            runningMean.Copy_(mean.Reshape([channels]) * momentum + runningMean * (1 - momentum));
            runningVar.Copy_(unbiased * momentum + runningVar * (1 - momentum));
        }
    }

    /// <summary>(x − mean)/√(biased var + eps) over <paramref name="dims"/>, centring once; also the mean and variance (kept dims).</summary>
    private static (Tensor Normalized, Tensor Mean, Tensor Variance) Standardize(Tensor x, int[] dims, double eps)
    {
        var mean = x.Mean(dims, keepDim: true);
        var centered = x - mean;
        var variance = (centered * centered).Mean(dims, keepDim: true);
        return (centered * (variance + eps).Rsqrt(), mean, variance);
    }

    private static Tensor Affine(Tensor y, Tensor? weight, Tensor? bias, int[]? shape)
    {
        if (weight is not null) y = y * (shape is null ? weight : weight.Reshape(shape));
        if (bias is not null) y = y + (shape is null ? bias : bias.Reshape(shape));
        return y;
    }

    /// <summary>
    /// Layer normalisation over the trailing dimensions given by <paramref name="normalizedShape"/> (<c>F.layer_norm</c>):
    /// (x − mean)/√(biased var + eps), then ·weight + bias (both of shape normalizedShape) when given. One fused node
    /// (forward and first-order backward in one pass each) when the operands share a floating dtype.
    /// </summary>
    public static Tensor LayerNorm(Tensor input, int[] normalizedShape, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5)
    {
        int k = normalizedShape.Length;
        if (k == 0 || k > input.Rank || !input.Shape[^k..].SequenceEqual(normalizedShape))
            throw new ArgumentException($"LayerNorm: normalized shape {ShapeUtil.Format(normalizedShape)} must match the trailing dimensions of the input, got shape {input.ShapeString}.");
        foreach (var (t, name) in new[] { (weight, "weight"), (bias, "bias") })
            if (t is not null && !t.Shape.SequenceEqual(normalizedShape))
                throw new ArgumentException($"LayerNorm: {name} has shape {t.ShapeString}, expected the normalized shape {ShapeUtil.Format(normalizedShape)}.");
        Tensor Composed() => Affine(Standardize(input, [.. Enumerable.Range(input.Rank - k, k)], eps).Normalized, weight, bias, null);
        bool fused = input.DType.IsFloatingPoint() && (weight is null || weight.DType == input.DType) && (bias is null || bias.DType == input.DType);
        return fused ? Tensor.LayerNormFused(input, ShapeUtil.Numel(normalizedShape), weight, bias, eps, Composed) : Composed();
    }

    /// <summary>
    /// Group normalisation (<c>F.group_norm</c>): the C channels of an [N, C, ...] input are split into
    /// <paramref name="numGroups"/> groups, each normalised over its channels and positions, then ·weight + bias per channel.
    /// </summary>
    public static Tensor GroupNorm(Tensor input, int numGroups, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5)
    {
        if (input.Rank < 2) throw new ArgumentException($"GroupNorm: input must be [N, C, ...], got shape {input.ShapeString}.");
        int channels = input.Shape[1];
        if (numGroups <= 0 || channels % numGroups != 0)
            throw new ArgumentException($"GroupNorm: {channels} channels (input shape {input.ShapeString}) cannot be split into {numGroups} groups; the channel count must be divisible by numGroups.");
        foreach (var (t, name) in new[] { (weight, "weight"), (bias, "bias") })
            if (t is not null && (t.Rank != 1 || t.Shape[0] != channels))
                throw new ArgumentException($"GroupNorm: {name} has shape {t.ShapeString}, expected [{channels}] for the input of shape {input.ShapeString}.");
        var grouped = input.Reshape([input.Shape[0], numGroups, -1]);
        var bshape = Enumerable.Repeat(1, input.Rank).ToArray();
        bshape[1] = channels;
        return Affine(Standardize(grouped, [2], eps).Normalized.Reshape(input.Shape), weight, bias, bshape);
    }
}
