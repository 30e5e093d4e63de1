using Backprop.Data;

namespace Backprop.Cli.Training;

/// <summary>A classification data set split into standardised training and validation tensors.</summary>
internal sealed record SplitData(string Name, Tensor TrainX, Tensor TrainY, Tensor ValX, Tensor ValY, string[] Classes, double[] Mean, double[] Std)
{
    public int Features => TrainX.Shape[1];
}

/// <summary>Resolves <c>--dataset</c> (a built-in name or a CSV path) and prepares the split the CLI trains on.</summary>
internal static class DataSource
{
    public static readonly string[] BuiltIn = ["digits", "iris", "wine", "breast-cancer", "fashion-mnist"];

    /// <summary>
    /// Loads the data set; the validation part is 20% (seeded) or Fashion-MNIST's official test set. Features are standardised
    /// with the training part's statistics, or with <paramref name="scaling"/> (a trained model's, from model.json) when given.
    /// Each part must hold at least one row.
    /// </summary>
    public static SplitData Load(string dataset, string? dataDir, string labelColumn, long seed, (double[] Mean, double[] Std)? scaling = null, double valFraction = 0.2)
    {
        if (dataset == "fashion-mnist")
        {
            var train = Datasets.FashionMnist(dataDir, train: true);
            var test = Datasets.FashionMnist(dataDir, train: false);
            return Standardize("fashion-mnist", train.Features.Reshape([train.Count, -1]), train.Labels,
                test.Features.Reshape([test.Count, -1]), test.Labels, [.. train.ClassNames], scaling);
        }
        LabeledDataset data = dataset switch
        {
            "digits" => Datasets.Digits(),
            "iris" => Datasets.Iris(),
            "wine" => Datasets.Wine(),
            "breast-cancer" => Datasets.BreastCancer(),
            _ when dataset.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) || File.Exists(dataset) => CsvReader.Read(dataset, labelColumn),
            _ => throw new ArgumentException($"unknown dataset '{dataset}': use one of {string.Join(", ", BuiltIn)} or a path to a .csv file"),
        };
        var parts = DatasetSplits.RandomSplit(data, [1 - valFraction, valFraction], seed);
        var sizes = parts.Select(p => p.Count).ToArray();
        if (sizes.Any(n => n == 0))
            throw new InvalidDataException($"{dataset}: {data.Count} data row(s) give {sizes[0]} training and {sizes[1]} validation row(s) with the " +
                $"{1 - valFraction:P0}/{valFraction:P0} split; need at least one of each ({(int)Math.Ceiling(1 / Math.Min(valFraction, 1 - valFraction))} rows or more).");
        var tr = ((TensorSubset)parts[0]).Materialize();
        var va = ((TensorSubset)parts[1]).Materialize();
        return Standardize(data.Name, tr[0], tr[1], va[0], va[1], [.. data.ClassNames], scaling);
    }

    /// <summary>Per-feature standardisation with statistics of the training part (constant features are left unscaled).</summary>
    private static SplitData Standardize(string name, Tensor trainX, Tensor trainY, Tensor valX, Tensor valY, string[] classes, (double[] Mean, double[] Std)? scaling)
    {
        if (scaling is var (m, sd))
        {
            if (m.Length != trainX.Shape[1])
                throw new InvalidDataException($"{name}: the data has {trainX.Shape[1]} features but the model's saved scaling has {m.Length}; was the model trained on other data?");
            return new SplitData(name, Apply(trainX, m, sd), trainY, Apply(valX, m, sd), valY, classes, m, sd);
        }
        var mean = trainX.Mean(0);
        var std = trainX.Std(0, correction: 0);
        std = Tensor.Where(std < 1e-8, Tensor.OnesLike(std), std);
        return new SplitData(name, (trainX - mean) / std, trainY, (valX - mean) / std, valY, classes, mean.ToArray(), std.ToArray());
    }

    /// <summary>Applies saved statistics to new features.</summary>
    public static Tensor Apply(Tensor x, double[] mean, double[] std) =>
        (x - Tensor.FromArray(mean).To(x.DType)) / Tensor.FromArray(std).To(x.DType);
}
