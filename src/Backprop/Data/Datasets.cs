using System.Globalization;
using System.IO.Compression;

namespace Backprop.Data;

/// <summary>
/// Ready-made data sets: the classic small ones embedded in the assembly (no download), and Fashion-MNIST read from
/// Debian's <c>dataset-fashion-mnist</c> package (<c>torchvision.datasets</c> / <c>sklearn.datasets</c> counterparts).
/// </summary>
public static class Datasets
{
    /// <summary>Where Debian's <c>dataset-fashion-mnist</c> package installs the four IDX files.</summary>
    public const string FashionMnistDefaultRoot = "/usr/share/datasets/fashion-mnist";

    /// <summary>The UCI optical digits: 1,797 8×8 images (64 features, values 0–16), 10 classes (<c>sklearn.datasets.load_digits</c>).</summary>
    public static LabeledDataset Digits() => Embedded("digits", "digits.csv.gz", "digits.rst", sklearnHeader: false);

    /// <summary>Fisher's iris: 150 flowers, 4 measurements, 3 species (<c>load_iris</c>).</summary>
    public static LabeledDataset Iris() => Embedded("iris", "iris.csv", "iris.rst", sklearnHeader: true);

    /// <summary>Wine recognition: 178 wines, 13 chemical features, 3 cultivars (<c>load_wine</c>).</summary>
    public static LabeledDataset Wine() => Embedded("wine", "wine_data.csv", "wine_data.rst", sklearnHeader: true);

    /// <summary>Breast cancer Wisconsin (diagnostic): 569 samples, 30 features, malignant/benign (<c>load_breast_cancer</c>).</summary>
    public static LabeledDataset BreastCancer() => Embedded("breast-cancer", "breast_cancer.csv", "breast_cancer.rst", sklearnHeader: true);

    /// <summary>
    /// The opening of Shakespeare's <i>Coriolanus</i> (40,036 characters of plain text, public domain; description and
    /// source in <c>Data/Embedded/coriolanus.rst</c>): a small text for character-level language models, like the
    /// <c>tinyshakespeare</c> file the char-rnn and nanoGPT tutorials train on (of which it is the first 40,036 characters).
    /// </summary>
    public static string Coriolanus()
    {
        using var reader = new StreamReader(OpenResource("coriolanus.txt"));
        return reader.ReadToEnd();
    }

    /// <summary>
    /// Fashion-MNIST (<c>torchvision.datasets.FashionMNIST</c>): 60,000 training or 10,000 test images as Float32 [N, 28, 28]
    /// scaled to [0, 1], labels Int64. Reads the IDX files (gzip or raw) from <paramref name="root"/>.
    /// </summary>
    public static LabeledDataset FashionMnist(string? root = null, bool train = true)
    {
        root ??= FashionMnistDefaultRoot;
        if (!Directory.Exists(root))
            throw new DirectoryNotFoundException(
                $"Fashion-MNIST folder not found: {root}. On Debian or Ubuntu install it with 'sudo apt-get install dataset-fashion-mnist' " +
                $"(it lands in {FashionMnistDefaultRoot}), or pass the folder holding train-images-idx3-ubyte(.gz) and its siblings.");
        string prefix = train ? "train" : "t10k";
        string imagesPath = Find(root, $"{prefix}-images-idx3-ubyte"), labelsPath = Find(root, $"{prefix}-labels-idx1-ubyte");
        var images = IdxReader.Read(imagesPath, DType.Float32);
        var labels = IdxReader.Read(labelsPath, DType.Int64);
        if (images.Rank != 3 || labels.Rank != 1 || images.Shape[0] != labels.Shape[0])
            throw new InvalidDataException($"{imagesPath} and {labelsPath}: Fashion-MNIST images {images.ShapeString} and labels {labels.ShapeString} do not match ([N, 28, 28] and [N]).");
        if (images.Numel == 0)
            throw new InvalidDataException($"{imagesPath}: the IDX file holds no pixels (shape {images.ShapeString}); Fashion-MNIST needs at least one image of at least one pixel.");
        var values = labels.ToArray<long>();
        for (int i = 0; i < values.Length; i++)
            if (values[i] is < 0 or > 9)
                throw new InvalidDataException($"{labelsPath}, item {i}: label {values[i]} is outside Fashion-MNIST's 10 classes (0-9).");
        images /= 255.0;
        string[] classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];
        return new LabeledDataset(images.Detach(), labels, classes, ["pixels"], "fashion-mnist");
    }

    private static string Find(string root, string stem)
    {
        foreach (var candidate in new[] { stem + ".gz", stem, stem.Replace("-idx", ".idx") + ".gz", stem.Replace("-idx", ".idx") })
        {
            var p = Path.Combine(root, candidate);
            if (File.Exists(p)) return p;
        }
        throw new FileNotFoundException($"Fashion-MNIST file {stem}(.gz) not found in {root}. Install Debian's dataset-fashion-mnist package or check the folder.");
    }

    private static LabeledDataset Embedded(string name, string file, string descriptionFile, bool sklearnHeader)
    {
        var lines = ReadResourceLines(file);
        string description = string.Join('\n', ReadResourceLines(descriptionFile));
        if (!sklearnHeader)
            return Relabel(CsvReader.Parse(lines, file, hasHeader: false), name, description, null);
        // scikit-learn's layout: "n_samples,n_features,class names..." then rows with the label last.
        var head = lines[0].Split(',');
        int samples = int.Parse(head[0], CultureInfo.InvariantCulture);
        var data = CsvReader.Parse(lines.Skip(1).ToList(), file, hasHeader: false);
        if (data.Count != samples) throw new InvalidDataException($"{file}: header promises {samples} rows, found {data.Count}.");
        return Relabel(data, name, description, head[2..]);
    }

    private static LabeledDataset Relabel(LabeledDataset d, string name, string description, string[]? classNames) =>
        new(d.Features, d.Labels, classNames ?? [.. d.ClassNames], [.. d.FeatureNames], name, description);

    private static List<string> ReadResourceLines(string file)
    {
        using var stream = OpenResource(file);
        using Stream s = file.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(stream, CompressionMode.Decompress) : stream;
        using var reader = new StreamReader(s);
        var lines = new List<string>();
        while (reader.ReadLine() is { } line) lines.Add(line);
        return lines;
    }

    private static Stream OpenResource(string file) =>
        typeof(Datasets).Assembly.GetManifestResourceStream("Backprop.Data.Embedded." + file)
            ?? throw new InvalidOperationException($"internal: embedded resource {file} is missing from the assembly.");
}
