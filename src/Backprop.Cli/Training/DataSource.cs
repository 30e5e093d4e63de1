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

    /// <summary>Loads the data set; the validation part is 20% (seeded) or Fashion-MNIST's official test set.</summary>
    public static SplitData Load(string dataset, string? dataDir, string labelColumn, long seed, double valFraction = 0.2)
    {
        if (dataset == "fashion-mnist")
        {
            var train = Datasets.FashionMnist(dataDir, train: true);
            var test = Datasets.FashionMnist(dataDir, train: false);
            return Standardize("fashion-mnist", train.Features.Reshape([train.Count, -1]), train.Labels,
                test.Features.Reshape([test.Count, -1]), test.Labels, [.. train.ClassNames]);
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
        var tr = ((TensorSubset)parts[0]).Materialize();
        var va = ((TensorSubset)parts[1]).Materialize();
        return Standardize(data.Name, tr[0], tr[1], va[0], va[1], [.. data.ClassNames]);
    }

    /// <summary>Per-feature standardisation with statistics of the training part (constant features are left unscaled).</summary>
    private static SplitData Standardize(string name, Tensor trainX, Tensor trainY, Tensor valX, Tensor valY, string[] classes)
    {
        var mean = trainX.Mean(0);
        var std = trainX.Std(0, correction: 0);
        std = Tensor.Where(std < 1e-8, Tensor.OnesLike(std), std);
        return new SplitData(name, (trainX - mean) / std, trainY, (valX - mean) / std, valY, classes, mean.ToArray(), std.ToArray());
    }

    /// <summary>Applies saved statistics to new features.</summary>
    public static Tensor Apply(Tensor x, double[] mean, double[] std) =>
        (x - Tensor.FromArray(mean).To(x.DType)) / Tensor.FromArray(std).To(x.DType);
}
