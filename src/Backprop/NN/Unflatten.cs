namespace Backprop.NN;

/// <summary>
/// Splits dimension <paramref name="dim"/> into <paramref name="sizes"/> (<c>torch.nn.Unflatten</c>), e.g. rows of 784
/// pixels into [1, 28, 28] images for a convolution: <c>new Unflatten(1, [1, 28, 28])</c>.
/// </summary>
public sealed class Unflatten(int dim, int[] sizes) : Module
{
    /// <summary>The dimension that is split.</summary>
    public int Dim { get; } = dim;

    /// <summary>The sizes it is split into.</summary>
    public IReadOnlyList<int> Sizes { get; } = sizes;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        int d = Dim < 0 ? Dim + input.Rank : Dim;
        if (d < 0 || d >= input.Rank) throw new ArgumentException($"Unflatten: dimension {Dim} is out of range for an input of shape [{string.Join(", ", input.Shape.ToArray())}].");
        long product = 1;
        foreach (int s in Sizes) product *= s;
        if (product != input.Shape[d])
            throw new ArgumentException($"Unflatten: sizes [{string.Join(", ", Sizes)}] hold {product} elements, but dimension {d} of the input [{string.Join(", ", input.Shape.ToArray())}] has {input.Shape[d]}.");
        var shape = input.Shape.ToArray();
        return input.Reshape([.. shape[..d], .. Sizes, .. shape[(d + 1)..]]);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"dim={Dim}, unflattened_size=({string.Join(", ", Sizes)})";
}
