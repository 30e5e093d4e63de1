namespace Backprop.NN;

/// <summary>
/// Zeroes whole channels with probability p in training and scales the rest by 1/(1−p) (<c>torch.nn.Dropout2d</c>):
/// for [N, C, H, W] (or unbatched [C, H, W]) input one draw per (sample, channel). Nothing in eval mode.
/// </summary>
public sealed class Dropout2d : Module
{
    private readonly Generator generator;

    /// <summary>Creates the layer with drop probability <paramref name="p"/>.</summary>
    public Dropout2d(double p = 0.5, long seed = 0)
    {
        if (p < 0 || p > 1) throw new ArgumentException($"Dropout2d probability has to be between 0 and 1, but got {p}.");
        P = p;
        generator = new Generator(seed);
    }

    /// <summary>Drop probability.</summary>
    public double P { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Dropout2d(input, P, IsTraining, generator);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"p={P}";
}

/// <summary>
/// Nearest-neighbour upsampling of the spatial dims of [N, C, L], [N, C, H, W] or [N, C, D, H, W] input
/// (<c>torch.nn.Upsample(mode='nearest')</c>), to a given <c>size</c> or by a <c>scaleFactor</c> per spatial dim.
/// </summary>
public sealed class Upsample : Module
{
    private readonly int[]? size;
    private readonly double[]? scaleFactor;

    /// <summary>Creates the layer; give exactly one of <paramref name="size"/> and <paramref name="scaleFactor"/> (one value for all dims, or one per dim).</summary>
    public Upsample(int[]? size = null, double[]? scaleFactor = null, string mode = "nearest")
    {
        if (mode != "nearest") throw new ArgumentException($"Upsample: only mode \"nearest\" is implemented, got \"{mode}\".");
        if ((size is null) == (scaleFactor is null)) throw new ArgumentException("Upsample: give exactly one of size and scaleFactor.");
        this.size = size; this.scaleFactor = scaleFactor;
    }

    /// <summary>Upsamples every spatial dim by the same factor.</summary>
    public Upsample(double scaleFactor) : this(null, [scaleFactor]) { }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Interpolate(input, size, scaleFactor);

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        size is not null ? $"size={ShapeUtil.Format(size)}, mode='nearest'" : $"scale_factor={string.Join(", ", scaleFactor!)}, mode='nearest'";
}

public static partial class Functional
{
    /// <summary>Channel-wise dropout (<c>F.dropout2d</c>): one keep/drop draw per channel of an [N, C, H, W] or [C, H, W] input.</summary>
    public static Tensor Dropout2d(Tensor input, double p = 0.5, bool training = true, Generator? generator = null)
    {
        if (p < 0 || p > 1) throw new ArgumentException($"Dropout2d probability has to be between 0 and 1, but got {p}.");
        if (input.Rank != 3 && input.Rank != 4)
            throw new ArgumentException($"Dropout2d: expected [N, C, H, W] or unbatched [C, H, W] input, got shape {input.ShapeString}.");
        if (!training || p == 0) return input;
        if (p == 1) return input * 0;
        int[] maskShape = [.. input.Shape[..^2], 1, 1];
        var keep = Tensor.Rand(maskShape, generator, input.DType) >= p;
        return input * (keep / (1 - p));
    }

    /// <summary>
    /// Nearest-neighbour resampling of the spatial dims (all dims after N and C) (<c>F.interpolate(mode='nearest')</c>):
    /// output position j reads input position min(⌊j·s⌋, in − 1) with s = 1/scaleFactor when a factor is given, else
    /// in/out — PyTorch's rule, gradients summed back through the repeated reads.
    /// </summary>
    public static Tensor Interpolate(Tensor input, int[]? size = null, double[]? scaleFactor = null)
    {
        int spatial = input.Rank - 2;
        if (spatial < 1 || spatial > 3) throw new ArgumentException($"Interpolate: expected a 3-D, 4-D or 5-D input [N, C, ...], got shape {input.ShapeString}.");
        if ((size is null) == (scaleFactor is null)) throw new ArgumentException("Interpolate: give exactly one of size and scaleFactor.");
        var given = (Array?)size ?? scaleFactor!;
        if (given.Length != 1 && given.Length != spatial)
            throw new ArgumentException($"Interpolate: {given.Length} sizes or factors for {spatial} spatial dims of the input of shape {input.ShapeString}; give 1 or {spatial}.");
        var y = input;
        for (int k = 0; k < spatial; k++)
        {
            int d = k + 2, inSize = input.Shape[d];
            double? factor = scaleFactor?[scaleFactor.Length == 1 ? 0 : k];
            int outSize = size is not null ? size[size.Length == 1 ? 0 : k] : (int)Math.Floor(inSize * factor!.Value);
            if (outSize <= 0) throw new ArgumentException($"Interpolate: output size {outSize} for dim {d} of the input of shape {input.ShapeString} must be positive.");
            float scale = factor is double f ? (float)(1 / f) : (float)inSize / outSize; // PyTorch computes the source index in float
            var index = new long[outSize];
            for (int j = 0; j < outSize; j++)
                index[j] = outSize == inSize ? j : outSize == 2 * inSize ? j >> 1 : Math.Min((long)MathF.Floor(j * scale), inSize - 1);
            y = y.IndexSelect(d, Tensor.FromArray(index).To(y.Storage.Allocator));
        }
        return y;
    }
}
