namespace Backprop.Data;

/// <summary>
/// A classification data set held in memory: features [N, F] (Float32) and class indices [N] (Int64), with class and
/// feature names. Batches are gathered in one copy per tensor (<see cref="ITensorRows"/>).
/// </summary>
public sealed class LabeledDataset(Tensor features, Tensor labels, string[] classNames, string[] featureNames, string name, string description = "") : ITensorRows
{
    private readonly TensorDataset rows = new(features, labels);

    /// <summary>Features, one row per sample.</summary>
    public Tensor Features { get; } = features;

    /// <summary>Class index of each sample.</summary>
    public Tensor Labels { get; } = labels;

    /// <summary>Class names, indexed by label.</summary>
    public IReadOnlyList<string> ClassNames { get; } = classNames;

    /// <summary>Feature (column) names.</summary>
    public IReadOnlyList<string> FeatureNames { get; } = featureNames;

    /// <summary>Short name, e.g. "iris".</summary>
    public string Name { get; } = name;

    /// <summary>The data set's description, where it ships one.</summary>
    public string Description { get; } = description;

    /// <summary>Number of features per sample.</summary>
    public int FeatureCount => Features.Shape[1];

    /// <summary>Number of classes.</summary>
    public int ClassCount => ClassNames.Count;

    /// <inheritdoc/>
    public int Count => rows.Count;

    /// <inheritdoc/>
    public Tensor[] this[int index] => rows[index];

    /// <inheritdoc/>
    public Tensor[] Gather(Tensor indices) => rows.Gather(indices);
}
